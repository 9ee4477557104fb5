"""The staff complaint queue, newest first, all or by status, read from an index."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0005_disputes_moved_to_aftersales'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['-created_at', '-id'], name='complaint_queue'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['status', '-created_at', '-id'], name='complaint_queue_status'),
        ),
    ]
