"""The platform staff groups: arbitrators (read everything, rule) and support (read only).

Both get the admin's view permissions on orders, after-sales and disputes; what arbitrators
may decide is checked by the services (group membership), not by model permissions.
"""

from django.db import migrations

GROUPS = ("arbitrators", "support")
APPS = ("orders", "aftersales", "disputes")


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(
        codename__startswith="view_", content_type__app_label__in=APPS
    )
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*view)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0001_initial"),
        ("aftersales", "0005_notifications"),
        ("disputes", "0002_seller_answers_evidence_requests_complaints"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
