"""Platform staff (arbitrators, support) may read reviews in the admin, like the rest."""

from django.db import migrations


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("reviews")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(codename__startswith="view_", content_type__app_label="reviews")
    for group in Group.objects.filter(name__in=["arbitrators", "support"]):
        group.permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_verbose_names"),
        ("disputes", "0003_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
