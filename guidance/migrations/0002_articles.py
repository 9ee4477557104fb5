"""The guide's first articles, and who may edit them: the `support` group adds and changes
articles in the admin; arbitrators read them."""

from django.db import migrations


def seed(apps, schema_editor):
    from guidance.articles import seed_articles

    seed_articles(apps.get_model("guidance", "Article"))


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("guidance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    mine = Permission.objects.filter(content_type__app_label="guidance")
    support, _ = Group.objects.get_or_create(name="support")
    support.permissions.add(*mine.filter(codename__in=["view_article", "add_article", "change_article"]))
    arbitrators, _ = Group.objects.get_or_create(name="arbitrators")
    arbitrators.permissions.add(*mine.filter(codename="view_article"))


class Migration(migrations.Migration):
    dependencies = [
        ("guidance", "0001_initial"),
        ("disputes", "0003_staff_groups"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
