from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Order, OrderItem, ReturnAddress, Shop, ShopMember


class ReturnAddressFormSet(forms.BaseInlineFormSet):
    """A shop needs exactly one default return address: approvals (also the automatic ones
    when the seller does not answer in time) send the goods there. Repair points are never the
    default; repairs go to them by themselves."""

    def clean(self):
        super().clean()
        defaults = [
            form
            for form in self.forms
            if form.cleaned_data.get("is_default") and not form.cleaned_data.get("DELETE")
        ]
        if len(defaults) != 1:
            raise forms.ValidationError(_("Mark exactly one return address as the default."))
        if defaults[0].cleaned_data.get("purpose") == ReturnAddress.Purpose.REPAIR:
            raise forms.ValidationError(_("The default address must be one for returns."))


class ReturnAddressInline(admin.TabularInline):
    model = ReturnAddress
    formset = ReturnAddressFormSet
    extra = 0
    min_num = 1
    validate_min = True


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
    list_display = [
        "number",
        "buyer",
        "shop",
        "payment_method",
        "region",
        "return_insurance",
        "paid_at",
    ]
    list_filter = ["shop", "payment_method", "return_insurance", "region", "paid_at"]
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
