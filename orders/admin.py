from django.contrib import admin

from .models import Order, OrderItem, ReturnAddress, Shop, ShopMember


class ReturnAddressInline(admin.TabularInline):
    model = ReturnAddress
    extra = 0


class ShopMemberInline(admin.TabularInline):
    model = ShopMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "no_reason_return_days",
        "seller_fault_return_days",
        "warranty_days",
        "pays_no_reason_return_shipping",
    ]
    search_fields = ["name"]
    inlines = [ReturnAddressInline, ShopMemberInline]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    readonly_fields = ["refunded_amount"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "buyer", "shop", "payment_method", "paid_at"]
    list_filter = ["shop", "payment_method", "paid_at"]
    search_fields = ["number", "buyer__username", "items__title"]
    date_hierarchy = "paid_at"
    autocomplete_fields = ["buyer", "shop"]
    list_select_related = ["buyer", "shop"]
    inlines = [OrderItemInline]


@admin.register(ShopMember)
class ShopMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "shop", "role"]
    list_filter = ["shop", "role"]
    search_fields = ["user__username", "shop__name"]
    autocomplete_fields = ["user", "shop"]
