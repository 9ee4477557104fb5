from django.urls import path

from .views import notifications

app_name = "notifications"

urlpatterns = [
    path("", notifications.notification_list, name="list"),
    path("<int:pk>/open/", notifications.open_notification, name="open"),
    path("read-all/", notifications.mark_all_read, name="read_all"),
]
