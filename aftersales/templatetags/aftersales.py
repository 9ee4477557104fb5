from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import AfterSalesRequest, DueAction

register = template.Library()

# What happens when the deadline passes, said as a sentence around the time left.
DEADLINE_SENTENCES = {
    DueAction.AUTO_APPROVE: gettext_lazy(
        "Approved automatically in %(left)s if the seller does not respond."
    ),
    DueAction.CLOSE: gettext_lazy("Closed automatically in %(left)s if the buyer does not act."),
    DueAction.AUTO_REFUND: gettext_lazy(
        "Refunded automatically in %(left)s if the seller does not confirm receipt."
    ),
    DueAction.PASS_INSPECTION: gettext_lazy(
        "The inspection counts as passed in %(left)s if the seller records no result."
    ),
    DueAction.ESCALATE: gettext_lazy(
        "Handed to the platform in %(left)s if the seller does not act."
    ),
    DueAction.CONFIRM_RECEIPT: gettext_lazy(
        "Receipt is confirmed automatically in %(left)s if the buyer does not confirm it."
    ),
}


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
    """ "approved the request", "shipped the goods back", … for a logged event."""
    from ..timeline import ACTION_LABELS

    return str(ACTION_LABELS.get(event.action, event.action))


@register.filter
def overdue(moment) -> bool:
    return bool(moment) and moment <= timezone.now()


@register.simple_tag
def deadline_phrase(request: AfterSalesRequest) -> str:
    """What happens at the request's next deadline, and how long until then."""
    if not request.due_at:
        return ""
    if request.due_at <= timezone.now():
        return _("Overdue: the automatic step runs within minutes.")
    return DEADLINE_SENTENCES[request.due_action] % {"left": timeuntil(request.due_at)}
