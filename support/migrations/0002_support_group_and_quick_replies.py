"""The staff groups may open customer service in the admin, read only like everything else
they are given (what they may do is checked by ``support.services`` by group membership, as
the arbitrators' decisions are; which conversations each sees, by ``support.selectors``);
a few quick replies in both languages to start with (edited by superusers, or by whoever is
given the quick replies' model permissions)."""

from django.db import migrations

QUICK_REPLIES = [
    (
        "Refund timing",
        "退款原路退回，一般 1–7 个工作日到账，具体以支付方式为准。",
        "Refunds go back to the way you paid, usually within 1–7 working days depending on "
        "the payment method.",
    ),
    (
        "Return shipping",
        "质量问题的退货运费由商家承担，请保留运费凭证；七天无理由退货的运费由买家承担。",
        "The seller pays return shipping for quality problems (keep the receipt); for a "
        "no-reason return the buyer pays it.",
    ),
    (
        "Seller not answering",
        "商家超时未处理时系统会自动推进；如商家拒绝，您可以在售后详情页申请平台介入。",
        "If the seller does not answer in time the system moves the request on; if they "
        "refuse, you can ask the platform to step in from the request's page.",
    ),
    (
        "Anything else",
        "请问还有其他可以帮您的吗？如无其他问题，我们将关闭本次会话。",
        "Is there anything else we can help with? If not, we will close this conversation.",
    ),
]


def forward(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = ["view_conversation", "view_message", "view_callback", "view_quickreply"]
    perms = Permission.objects.filter(content_type__app_label="support", codename__in=codenames)
    support, _ = Group.objects.get_or_create(name="support")
    support.permissions.add(*perms)
    # Arbitrators read the conversations handed to them and work the call-back queue.
    arbitrators, _ = Group.objects.get_or_create(name="arbitrators")
    arbitrators.permissions.add(
        *perms.filter(codename__in=["view_conversation", "view_message", "view_callback"])
    )
    QuickReply = apps.get_model("support", "QuickReply")
    for position, (title, zh, en) in enumerate(QUICK_REPLIES):
        QuickReply.objects.get_or_create(
            title=title, defaults={"text_zh": zh, "text_en": en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("disputes", "0003_staff_groups"),
        ("support", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
