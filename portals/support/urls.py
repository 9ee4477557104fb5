"""Customer service (/help/contact/) and call backs (/help/callback/): mounted under /help/
beside the guidance centre."""

from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("contact/", views.conversation_list, name="conversation_list"),
    path("contact/new/", views.conversation_new, name="conversation_new"),
    path("contact/<int:pk>/", views.conversation, name="conversation"),
    path("contact/<int:pk>/close/", views.close, name="close"),
    path("contact/<int:pk>/rate/", views.rate, name="rate"),
    path("callback/new/<int:request_id>/", views.callback_new, name="callback_new"),
]
