# Notifications exactly once (one per event and recipient, one reminder per deadline and
# recipient, their e-mail owed until sent) and leases on payouts (issue 12).
#
# Depends on 0008, the latest migration on this branch; issue 11's 0009 lands in parallel, and
# the merge puts this one after it.

from django.db import migrations, models
from django.db.models import Min


def drop_duplicate_notifications(apps, schema_editor):
    """Redelivered tasks wrote some notifications twice before the constraints: keep the first."""
    Notification = apps.get_model("aftersales", "Notification")
    for kind, fields in (
        ("transition", ("event_id", "recipient_id")),
        ("reminder", ("request_id", "recipient_id", "due_at")),
    ):
        of_kind = Notification.objects.filter(kind=kind)
        first = of_kind.values(*fields).annotate(first=Min("pk")).values("first")
        of_kind.exclude(pk__in=first).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("aftersales", "0010_dispute_deadlines"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="payout_lease_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="payout held until"),
        ),
        migrations.AddField(
            model_name="notification",
            name="email_pending",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="notification",
            name="emailed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["payout_lease_until"],
                name="pending_payouts",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("email_pending", True)),
                fields=["created_at"],
                name="notifications_owing_mail",
            ),
        ),
        migrations.RunPython(drop_duplicate_notifications, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "transition")),
                fields=("event", "recipient"),
                name="one_notification_per_event_and_recipient",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "reminder")),
                fields=("request", "recipient", "due_at"),
                name="one_reminder_per_deadline_and_recipient",
            ),
        ),
    ]
