from django.contrib import admin

from .models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """For staff looking into a shop's integration; the secret stays out of sight."""

    list_display = ["url", "shop", "enabled", "disabled_because", "failed_deliveries", "created_at"]
    list_filter = ["enabled", "disabled_because"]
    search_fields = ["url", "shop__name"]
    exclude = ["secret"]
    readonly_fields = ["shop", "created_by", "created_at", "disabled_at", "failing_since"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "webhook_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "status_code",
        "response_ms",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["webhook_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
