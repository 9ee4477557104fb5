"""Platform keys (the order system's ``orders:import``) are created here by staff; shops
manage their own keys in the seller center (``/seller/api-keys/``)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "shop", "scopes", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "shop__name"]
    fields = ["name"]
    readonly_fields = ["prefix", "shop", "scopes", "created_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else ["name", *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """A new key here is a platform key; its token is shown this once."""
        key, token = services.create_platform_key(name=obj.name, actor=request.user)
        obj.pk, obj.prefix, obj.scopes, obj.created_at = (
            key.pk,
            key.prefix,
            key.scopes,
            key.created_at,
        )
        messages.warning(
            request,
            _("Platform key created. Copy it now, it will not be shown again: %(token)s")
            % {"token": token},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_key(key=key, actor=request.user)
