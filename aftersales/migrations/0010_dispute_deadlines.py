"""Dispute deadlines (issue 12): the seller's answer window gets a reminder and, when it passes
unanswered, a mark; notifications say "evidence due" and "answer due"; the event log accepts
the new actions (complaint handling, what the system notes when a dispute deadline passes), so
its check constraint is replaced by one that lists them.

Numbered 0011 to leave 0009 and 0010 to work merged alongside; the merge fixes the chain."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0009_first_response_and_list_indexes'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='requestevent',
            name='event_action_in_vocabulary',
        ),
        migrations.AddField(
            model_name='dispute',
            name='seller_answer_lapsed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='seller did not answer in time'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='seller_reminded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='seller reminded'),
        ),
        migrations.AlterField(
            model_name='aftersalesrequest',
            name='due_action',
            field=models.CharField(blank=True, choices=[('submit', 'filed the request'), ('resubmit', 'revised and resubmitted the request'), ('withdraw', 'withdrew the request'), ('approve', 'approved the request'), ('propose', 'proposed another solution'), ('reject', 'rejected the request'), ('accept_proposal', 'accepted the proposal'), ('decline_proposal', 'declined the proposal'), ('ship_return', 'shipped the goods back'), ('confirm_return_received', 'confirmed receipt of the returned goods'), ('refund_without_receipt', 'refunded: the seller did not confirm receipt in time'), ('pass_inspection', 'passed the inspection'), ('fail_inspection', 'failed the inspection'), ('ship_replacement', 'shipped the replacement'), ('ship_repaired', 'shipped the repaired item'), ('confirm_delivery', 'confirmed receipt'), ('close_for_timeout', 'closed the request: the deadline passed'), ('escalate', 'asked the platform to step in'), ('escalate_overdue', "handed the request to the platform: the seller's deadline passed"), ('rule', 'ruled on the dispute'), ('answer_dispute', 'answered the dispute'), ('request_evidence', 'asked for more evidence'), ('provide_evidence', 'provided more evidence'), ('complain', 'filed a complaint about the shop'), ('investigate_complaint', 'started investigating the complaint'), ('resolve_complaint', 'resolved the complaint'), ('seller_missed_answer', 'noted that the seller did not answer the dispute in time'), ('buyer_missed_evidence', 'noted that the buyer did not send the requested evidence in time'), ('seller_missed_evidence', 'noted that the seller did not send the requested evidence in time')], max_length=30, verbose_name='when due'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('transition', 'update'), ('reminder', 'reminder'), ('evidence_due', 'evidence due'), ('answer_due', 'dispute answer due')], max_length=20),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='action',
            field=models.CharField(choices=[('submit', 'filed the request'), ('resubmit', 'revised and resubmitted the request'), ('withdraw', 'withdrew the request'), ('approve', 'approved the request'), ('propose', 'proposed another solution'), ('reject', 'rejected the request'), ('accept_proposal', 'accepted the proposal'), ('decline_proposal', 'declined the proposal'), ('ship_return', 'shipped the goods back'), ('confirm_return_received', 'confirmed receipt of the returned goods'), ('refund_without_receipt', 'refunded: the seller did not confirm receipt in time'), ('pass_inspection', 'passed the inspection'), ('fail_inspection', 'failed the inspection'), ('ship_replacement', 'shipped the replacement'), ('ship_repaired', 'shipped the repaired item'), ('confirm_delivery', 'confirmed receipt'), ('close_for_timeout', 'closed the request: the deadline passed'), ('escalate', 'asked the platform to step in'), ('escalate_overdue', "handed the request to the platform: the seller's deadline passed"), ('rule', 'ruled on the dispute'), ('answer_dispute', 'answered the dispute'), ('request_evidence', 'asked for more evidence'), ('provide_evidence', 'provided more evidence'), ('complain', 'filed a complaint about the shop'), ('investigate_complaint', 'started investigating the complaint'), ('resolve_complaint', 'resolved the complaint'), ('seller_missed_answer', 'noted that the seller did not answer the dispute in time'), ('buyer_missed_evidence', 'noted that the buyer did not send the requested evidence in time'), ('seller_missed_evidence', 'noted that the seller did not send the requested evidence in time')], max_length=40, verbose_name='action'),
        ),
        migrations.AddConstraint(
            model_name='requestevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['submit', 'resubmit', 'withdraw', 'approve', 'propose', 'reject', 'accept_proposal', 'decline_proposal', 'ship_return', 'confirm_return_received', 'refund_without_receipt', 'pass_inspection', 'fail_inspection', 'ship_replacement', 'ship_repaired', 'confirm_delivery', 'close_for_timeout', 'escalate', 'escalate_overdue', 'rule', 'answer_dispute', 'request_evidence', 'provide_evidence', 'complain', 'investigate_complaint', 'resolve_complaint', 'seller_missed_answer', 'buyer_missed_evidence', 'seller_missed_evidence'])), name='event_action_in_vocabulary'),
        ),
    ]
