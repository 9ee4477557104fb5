from django.urls import path

from .views import seller

app_name = "seller"

urlpatterns = [
    path("", seller.dashboard, name="dashboard"),
    path("export.csv", seller.export_queue, name="export"),
    path("bulk-approve/", seller.bulk_approve, name="bulk_approve"),
    path("requests/<int:pk>/", seller.request_detail, name="request_detail"),
    path("requests/<int:pk>/approve/", seller.approve, name="approve"),
    path("requests/<int:pk>/propose/", seller.propose, name="propose"),
    path("requests/<int:pk>/reject/", seller.reject, name="reject"),
    path("requests/<int:pk>/receipt/", seller.confirm_receipt, name="confirm_receipt"),
    path("requests/<int:pk>/pass/", seller.pass_inspection, name="pass_inspection"),
    path("requests/<int:pk>/fail/", seller.fail_inspection, name="fail_inspection"),
    path("requests/<int:pk>/ship/", seller.ship, name="ship"),
    path("requests/<int:pk>/messages/", seller.post_message, name="post_message"),
    path("requests/<int:pk>/answer/", seller.answer_dispute, name="answer_dispute"),
    path("requests/<int:pk>/reply/", seller.reply_to_review, name="reply"),
    path(
        "requests/<int:pk>/evidence/<int:ask_id>/",
        seller.provide_evidence,
        name="provide_evidence",
    ),
]
