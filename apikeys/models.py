"""Keys for the seller API (``/api/v1/``, README "Integrate your ERP").

A shop's key acts as the shop through a user of its own (``ApiKey.user``), a member of the
shop: every permission check and every scoped read works for it as for a person, and the event
log names the key. Only a hash of the secret is stored; the key is shown once, when created.
A platform key (no shop, no user) may only feed orders in (``orders:import``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import Shop


class Scope(models.TextChoices):
    READ = "read", _("Read requests")
    ACT = "act", _("Act on requests")
    ORDERS_IMPORT = "orders:import", _("Import orders (platform only)")


SHOP_SCOPES = (Scope.READ, Scope.ACT)


class ApiKey(models.Model):
    shop = models.ForeignKey(
        Shop,
        verbose_name=_("shop"),
        on_delete=models.CASCADE,
        related_name="api_keys",
        null=True,
        blank=True,
        help_text=_("Empty for a platform key."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,
        related_name="api_key",
        null=True,
        blank=True,
        editable=False,
    )
    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    # The bearer token is "<prefix>.<secret>": the prefix finds the row, the secret's SHA-256
    # is compared in constant time.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shop__isnull=True, user__isnull=True)
                | Q(shop__isnull=False, user__isnull=False),
                name="apikey_shop_key_has_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes


class IdempotentAnswer(models.Model):
    """The first answer to a POST that carried an ``Idempotency-Key``: a repeat with the same
    key (from the same API key) gets it again, and nothing runs twice. ``status`` is empty while
    the first request is still running."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="answers")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    body = models.TextField(blank=True)  # JSON text (jsonb would refuse a \u0000 echoed back)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"], name="one_answer_per_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status}"
