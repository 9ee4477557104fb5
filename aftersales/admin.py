"""The after-sales records, for platform staff. Nothing here edits a request's state: every
state change goes through the services (rulings have their own screens in ``disputes``)."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.timesince import timesince as time_since
from django.utils.translation import gettext_lazy as _

from .models import (
    AfterSalesRequest,
    Evidence,
    LedgerEntry,
    Message,
    Proposal,
    RequestEvent,
    Shipment,
    TrackingEvent,
)


class ReadOnlyAdminMixin:
    """For records that are history: shown in full, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class EventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ["created_at", "actor_role", "actor", "action", "from_state", "to_state", "note"]


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "author_role", "author", "body"]


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ["version", "kind", "refund_amount", "compensation_amount", "status", "note"]


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = [
        "purpose",
        "carrier",
        "tracking_number",
        "shipped_at",
        "picked_up_at",
        "signed_at",
        "received_at",
    ]


class TrackingEventInline(ReadOnlyInline):
    """A parcel's trace, newest line first, as the provider reported it."""

    model = TrackingEvent
    fields = ["happened_at", "status", "place", "source", "external_id", "created_at"]
    ordering = ["-happened_at", "-pk"]
    show_change_link = False


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["created_at", "uploader_role", "media_type", "original_name", "size"]


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ["type", "amount", "status", "payment_method", "attempts", "paid_at"]


@admin.register(AfterSalesRequest)
class AfterSalesRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "order",
        "order_item",
        "kind",
        "reason",
        "state",
        "refund_amount",
        "due_at",
        "shop",
        "buyer",
        "created_at",
    ]
    list_filter = ["state", "kind", "reason", "shop", "due_action", "created_at"]
    search_fields = ["=id", "order__number", "buyer__username", "order_item__title"]
    list_select_related = ["order", "order_item", "shop", "buyer"]
    date_hierarchy = "created_at"
    inlines = [
        EventInline,
        MessageInline,
        ProposalInline,
        ShipmentInline,
        EvidenceInline,
        LedgerInline,
    ]


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "request",
        "actor_role",
        "actor",
        "action",
        "from_state",
        "to_state",
    ]
    list_filter = ["action", "actor_role", "to_state"]
    search_fields = ["=request__id", "actor__username", "note"]
    list_select_related = ["request__order_item", "actor"]


class PayoutStatusFilter(admin.SimpleListFilter):
    title = _("payout")
    parameter_name = "payout"

    def lookups(self, request, model_admin):
        return [("flagged", _("failed — needs staff")), ("pending", _("pending"))]

    def queryset(self, request, queryset):
        if self.value() == "flagged":
            return queryset.filter(status=LedgerEntry.Status.FAILED)
        if self.value() == "pending":
            return queryset.filter(status=LedgerEntry.Status.PENDING)
        return queryset


class AdvanceFilter(admin.SimpleListFilter):
    """极速退款 the platform has paid and not yet got back: from the shop (settlement) or the
    buyer (recovery). Staff work the oldest first: a parcel that never arrives goes to a
    dispute by itself after ``fast_refund_parcel_lost``."""

    title = _("fast refund advances")
    parameter_name = "advance"

    def lookups(self, request, model_admin):
        return [("outstanding", _("outstanding (neither settled nor recovered)"))]

    def queryset(self, request, queryset):
        if self.value() == "outstanding":
            return outstanding_advances(queryset)
        return queryset


def outstanding_advances(queryset):
    """The fast-refund rows whose request has no settlement and no recovery, oldest first."""
    closed = LedgerEntry.objects.filter(
        request=OuterRef("request"),
        type__in=[LedgerEntry.Type.SHOP_SETTLEMENT, LedgerEntry.Type.RECOVERY],
    )
    return (
        queryset.filter(type=LedgerEntry.Type.FAST_REFUND)
        .exclude(Exists(closed))
        .order_by("created_at", "pk")
    )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "age",
        "request",
        "type",
        "amount",
        "payment_method",
        "status",
        "attempts",
        "last_error",
    ]
    list_filter = [AdvanceFilter, PayoutStatusFilter, "type", "payment_method"]
    search_fields = ["=request__id", "idempotency_key", "request__order__number"]
    list_select_related = ["request__order_item"]

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, entry: LedgerEntry) -> str:
        return time_since(entry.created_at)


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A parcel: where it goes, and its trace (README "Parcel tracking")."""

    list_display = ["__str__", "request", "carrier", "shipped_at", "picked_up_at", "signed_at"]
    list_select_related = ["request__order_item"]
    search_fields = ["=request__id", "=tracking_number"]
    list_filter = ["purpose", "carrier"]
    inlines = [TrackingEventInline]


@admin.register(Message, Proposal, Evidence)
class HistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "request"]
    list_select_related = ["request__order_item"]
    search_fields = ["=request__id"]
