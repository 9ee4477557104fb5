from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def yuan(amount) -> str:
    """¥ with two decimals: 1234.5 → ¥1,234.50."""
    if amount in (None, ""):
        return ""
    return f"¥{Decimal(amount):,.2f}"


@register.filter
def overdue(moment) -> bool:
    return bool(moment) and moment <= timezone.now()


@register.simple_tag
def deadline_phrase(request) -> str:
    """ "<action> in 2 days, 3 hours" for the request's next deadline."""
    if not request.due_at:
        return ""
    from django.utils.timesince import timeuntil

    if request.due_at <= timezone.now():
        return _("Overdue: will be %(action)s shortly.") % {
            "action": request.get_due_action_display()
        }
    return _("Will be %(action)s in %(left)s.") % {
        "action": request.get_due_action_display(),
        "left": timeuntil(request.due_at),
    }
