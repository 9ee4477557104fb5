"""Evidence requests get a reminder a day before they are due and are closed unanswered when
the deadline passes (``disputes.deadlines``).

Numbered 0008 to leave 0006 and 0007 to work merged alongside; the merge fixes the chain."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0006_complaint_queue_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='evidencerequest',
            name='lapsed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='closed unanswered'),
        ),
        migrations.AddField(
            model_name='evidencerequest',
            name='reminded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='reminded'),
        ),
    ]
