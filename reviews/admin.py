from django.contrib import admin

from aftersales.admin import ReadOnlyAdminMixin

from .models import Review


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "request",
        "shop",
        "buyer",
        "speed",
        "attitude",
        "result",
        "created_at",
        "replied_at",
    ]
    list_filter = ["shop", "speed", "attitude", "result"]
    search_fields = ["=request__id", "buyer__username", "comment"]
    list_select_related = ["request__order_item", "shop", "buyer"]
