"""Disputes and rulings now belong to ``aftersales`` (see its migration 0007): forget them here,
point evidence requests at the moved model, and hand the content types (and with them the
staff groups' permissions and the admin history) to the new app."""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("dispute", "ruling")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="disputes", model__in=MOVED).update(
        app_label="aftersales"
    )


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="aftersales", model__in=MOVED).update(
        app_label="disputes"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('aftersales', '0007_disputes_move_here'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('disputes', '0004_verbose_names'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='evidencerequest',
                    name='dispute',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='evidence_requests', to='aftersales.dispute', verbose_name='dispute'),
                ),
                migrations.DeleteModel(name='Ruling'),
                migrations.DeleteModel(name='Dispute'),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
