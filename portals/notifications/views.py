"""The notification centre (消息中心): what happened on one's requests, newest first."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aftersales.models import Notification, Role

PAGE_SIZE = 20


def target_url(notification: Notification) -> str:
    if notification.audience == Role.SELLER:
        return reverse("seller:request_detail", args=[notification.request_id])
    if notification.audience == Role.STAFF:
        return reverse("admin:aftersales_aftersalesrequest_change", args=[notification.request_id])
    return reverse("buyer:request_detail", args=[notification.request_id])


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = request.user.notifications.select_related("request__order_item", "event")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to its request."""
    notification = get_object_or_404(request.user.notifications, pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect(target_url(notification))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications:list")
