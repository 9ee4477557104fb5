"""One vocabulary of actions: the deadline's automatic step is now the system transition it
takes (``approve``, ``close_for_timeout``, …), and the event log accepts only known actions.
The dispute tables take the names of their new app."""

from django.db import migrations, models

OLD_DUE_ACTIONS = {
    "auto_approve": "approve",
    "close": "close_for_timeout",
    "auto_refund": "refund_without_receipt",
    "pass_inspection": "pass_inspection",
    "escalate": "escalate_overdue",
    "confirm_receipt": "confirm_delivery",
}


def name_due_actions_by_transition(apps, schema_editor):
    Request = apps.get_model("aftersales", "AfterSalesRequest")
    for old, new in OLD_DUE_ACTIONS.items():
        Request.objects.filter(due_action=old).update(due_action=new)


def name_due_actions_as_before(apps, schema_editor):
    Request = apps.get_model("aftersales", "AfterSalesRequest")
    for old, new in OLD_DUE_ACTIONS.items():
        Request.objects.filter(due_action=new).update(due_action=old)


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0007_disputes_move_here'),
        ('disputes', '0005_disputes_moved_to_aftersales'),
    ]

    operations = [
        migrations.AlterModelTable(name='dispute', table=None),
        migrations.AlterModelTable(name='ruling', table=None),
        migrations.AlterField(
            model_name='aftersalesrequest',
            name='due_action',
            field=models.CharField(blank=True, choices=[('submit', 'filed the request'), ('resubmit', 'revised and resubmitted the request'), ('withdraw', 'withdrew the request'), ('approve', 'approved the request'), ('propose', 'proposed another solution'), ('reject', 'rejected the request'), ('accept_proposal', 'accepted the proposal'), ('decline_proposal', 'declined the proposal'), ('ship_return', 'shipped the goods back'), ('confirm_return_received', 'confirmed receipt of the returned goods'), ('refund_without_receipt', 'refunded: the seller did not confirm receipt in time'), ('pass_inspection', 'passed the inspection'), ('fail_inspection', 'failed the inspection'), ('ship_replacement', 'shipped the replacement'), ('ship_repaired', 'shipped the repaired item'), ('confirm_delivery', 'confirmed receipt'), ('close_for_timeout', 'closed the request: the deadline passed'), ('escalate', 'asked the platform to step in'), ('escalate_overdue', "handed the request to the platform: the seller's deadline passed"), ('rule', 'ruled on the dispute'), ('answer_dispute', 'answered the dispute'), ('request_evidence', 'asked for more evidence'), ('provide_evidence', 'provided more evidence'), ('complain', 'filed a complaint about the shop')], max_length=30, verbose_name='when due'),
        ),
        migrations.RunPython(name_due_actions_by_transition, name_due_actions_as_before),
        migrations.AlterField(
            model_name='requestevent',
            name='action',
            field=models.CharField(choices=[('submit', 'filed the request'), ('resubmit', 'revised and resubmitted the request'), ('withdraw', 'withdrew the request'), ('approve', 'approved the request'), ('propose', 'proposed another solution'), ('reject', 'rejected the request'), ('accept_proposal', 'accepted the proposal'), ('decline_proposal', 'declined the proposal'), ('ship_return', 'shipped the goods back'), ('confirm_return_received', 'confirmed receipt of the returned goods'), ('refund_without_receipt', 'refunded: the seller did not confirm receipt in time'), ('pass_inspection', 'passed the inspection'), ('fail_inspection', 'failed the inspection'), ('ship_replacement', 'shipped the replacement'), ('ship_repaired', 'shipped the repaired item'), ('confirm_delivery', 'confirmed receipt'), ('close_for_timeout', 'closed the request: the deadline passed'), ('escalate', 'asked the platform to step in'), ('escalate_overdue', "handed the request to the platform: the seller's deadline passed"), ('rule', 'ruled on the dispute'), ('answer_dispute', 'answered the dispute'), ('request_evidence', 'asked for more evidence'), ('provide_evidence', 'provided more evidence'), ('complain', 'filed a complaint about the shop')], max_length=40, verbose_name='action'),
        ),
        migrations.AddConstraint(
            model_name='requestevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['submit', 'resubmit', 'withdraw', 'approve', 'propose', 'reject', 'accept_proposal', 'decline_proposal', 'ship_return', 'confirm_return_received', 'refund_without_receipt', 'pass_inspection', 'fail_inspection', 'ship_replacement', 'ship_repaired', 'confirm_delivery', 'close_for_timeout', 'escalate', 'escalate_overdue', 'rule', 'answer_dispute', 'request_evidence', 'provide_evidence', 'complain'])), name='event_action_in_vocabulary'),
        ),
    ]
