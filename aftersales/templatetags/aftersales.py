from decimal import Decimal

from django import template
from django.utils import timezone

from .. import policy
from ..deadlines import deadline_sentence, when_due_label
from ..models import AfterSalesRequest, Notification, worded
from ..notifications import event_summary

register = template.Library()


@register.filter
def yuan(amount) -> str:
    """¥ with two decimals: 1234.5 → ¥1,234.50."""
    if amount in (None, ""):
        return ""
    return f"¥{Decimal(amount):,.2f}"


@register.filter
def display_name(user) -> str:
    """王小明 for Chinese names (family name first, no space), Ann Lee otherwise; the login
    name when the user gave no name."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if not (first or last):
        return user.get_username()
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


@register.filter
def event_label(event) -> str:
    """ "approved the request", "shipped the goods back", … for a logged event, in the words
    of its request's kind ("sent the item for repair")."""
    return event.action_label


@register.simple_tag
def words(request: AfterSalesRequest | None, field: str, value: str) -> str:
    """A state's, action's, shipment purpose's or phrase's label in the words of the request's
    kind: ``{% words r "state" entry.obj.to_state %}``, ``{% words r "phrase" "send_to" %}``."""
    if request is None or request == "":
        return worded(field, value, kind="")
    return request.words(field, value)


@register.filter
def notification_text(notification: Notification) -> str:
    """What a notification of a transition says: who did what, what came of it, what's next."""
    return event_summary(
        notification.event, request=notification.request, audience=notification.audience
    )


@register.filter
def overdue(moment) -> bool:
    return bool(moment) and moment <= timezone.now()


@register.simple_tag
def deadline_phrase(request: AfterSalesRequest) -> str:
    """What happens at the request's next deadline, and how long until then."""
    return deadline_sentence(request)


@register.filter
def when_due(request: AfterSalesRequest) -> str:
    """The automatic step at the request's deadline, in a few words."""
    return when_due_label(request)


@register.filter
def insurance_claim(request: AfterSalesRequest) -> Decimal:
    """What return-shipping insurance pays the buyer for this request's postage (0: none)."""
    return policy.insurance_claim(request)
