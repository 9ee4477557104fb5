from django.urls import path

from .views import buyer

app_name = "buyer"

urlpatterns = [
    path("requests/", buyer.request_list, name="request_list"),
    path("requests/<int:pk>/", buyer.request_detail, name="request_detail"),
    path("requests/<int:pk>/revise/", buyer.resubmit, name="resubmit"),
    path("requests/<int:pk>/withdraw/", buyer.withdraw, name="withdraw"),
    path("requests/<int:pk>/accept/", buyer.accept_proposal, name="accept_proposal"),
    path("requests/<int:pk>/decline/", buyer.decline_proposal, name="decline_proposal"),
    path("requests/<int:pk>/ship/", buyer.ship_return, name="ship_return"),
    path("requests/<int:pk>/confirm/", buyer.confirm_delivery, name="confirm_delivery"),
    path("requests/<int:pk>/escalate/", buyer.escalate, name="escalate"),
    path("requests/<int:pk>/messages/", buyer.post_message, name="post_message"),
    path(
        "requests/<int:pk>/evidence/<int:ask_id>/", buyer.provide_evidence, name="provide_evidence"
    ),
    path("requests/<int:pk>/complain/", buyer.complain, name="complain"),
    path("items/<int:item_id>/apply/", buyer.apply, name="apply"),
]
