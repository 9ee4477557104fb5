from django.urls import path

from . import requests

app_name = "buyer"

urlpatterns = [
    path("requests/", requests.request_list, name="request_list"),
    path("requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/revise/", requests.resubmit, name="resubmit"),
    path("requests/<int:pk>/withdraw/", requests.withdraw, name="withdraw"),
    path("requests/<int:pk>/accept/", requests.accept_proposal, name="accept_proposal"),
    path("requests/<int:pk>/decline/", requests.decline_proposal, name="decline_proposal"),
    path("requests/<int:pk>/ship/", requests.ship_return, name="ship_return"),
    path("requests/<int:pk>/confirm/", requests.confirm_delivery, name="confirm_delivery"),
    path("requests/<int:pk>/escalate/", requests.escalate, name="escalate"),
    path("requests/<int:pk>/messages/", requests.post_message, name="post_message"),
    path(
        "requests/<int:pk>/evidence/<int:ask_id>/",
        requests.provide_evidence,
        name="provide_evidence",
    ),
    path("requests/<int:pk>/complain/", requests.complain, name="complain"),
    path("items/<int:item_id>/apply/", requests.apply, name="apply"),
]
