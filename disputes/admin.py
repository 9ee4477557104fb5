from django.contrib import admin

from aftersales.admin import ReadOnlyAdminMixin

from .models import Dispute, Ruling


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "request", "reason", "status", "opened_at", "ruling_due_at"]
    list_filter = ["status", "reason"]
    search_fields = ["=request__id", "request__order__number", "request__buyer__username"]
    list_select_related = ["request__order_item"]


@admin.register(Ruling)
class RulingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "dispute",
        "outcome",
        "refund_amount",
        "compensation_amount",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["outcome"]
