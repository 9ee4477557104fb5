from django.urls import path

from . import api_keys, dashboard, requests, rules, webhooks

app_name = "seller"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export.csv", dashboard.export_queue, name="export"),
    path("api-keys/", api_keys.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", api_keys.revoke, name="revoke_api_key"),
    path("bulk-approve/", dashboard.bulk_approve, name="bulk_approve"),
    path("requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/approve/", requests.approve, name="approve"),
    path("requests/<int:pk>/propose/", requests.propose, name="propose"),
    path("requests/<int:pk>/quote/", requests.quote, name="quote"),
    path("requests/<int:pk>/reject/", requests.reject, name="reject"),
    path("requests/<int:pk>/receipt/", requests.confirm_receipt, name="confirm_receipt"),
    path("requests/<int:pk>/pass/", requests.pass_inspection, name="pass_inspection"),
    path("requests/<int:pk>/fail/", requests.fail_inspection, name="fail_inspection"),
    path("requests/<int:pk>/ship/", requests.ship, name="ship"),
    path("requests/<int:pk>/messages/", requests.post_message, name="post_message"),
    path("requests/<int:pk>/answer/", requests.answer_dispute, name="answer_dispute"),
    path("requests/<int:pk>/reply/", requests.reply_to_review, name="reply"),
    path(
        "requests/<int:pk>/evidence/<int:ask_id>/",
        requests.provide_evidence,
        name="provide_evidence",
    ),
    path("rules/", rules.rule_list, name="rules"),
    path("rules/new/", rules.rule_new, name="rule_new"),
    path("rules/<int:pk>/", rules.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/switch/", rules.rule_switch, name="rule_switch"),
    path("rules/<int:pk>/move/", rules.rule_move, name="rule_move"),
    path("rules/<int:pk>/delete/", rules.rule_delete, name="rule_delete"),
    path("webhooks/", webhooks.endpoint_list, name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.endpoint_detail, name="webhook"),
    path("webhooks/<int:pk>/secret/", webhooks.reveal_secret, name="webhook_secret"),
    path("webhooks/<int:pk>/enabled/", webhooks.set_enabled, name="webhook_enabled"),
    path("webhooks/<int:pk>/test/", webhooks.send_test, name="webhook_test"),
    path("webhooks/<int:pk>/delete/", webhooks.delete, name="webhook_delete"),
    path("webhooks/deliveries/<int:pk>/resend/", webhooks.resend, name="webhook_resend"),
]
