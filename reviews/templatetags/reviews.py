from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


@register.filter
def rating(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@register.filter
def span(duration: timedelta | None) -> str:
    """A duration the way people say it: 3.5 h, 2.1 days."""
    if duration is None:
        return "—"
    hours = duration.total_seconds() / 3600
    if hours < 48:
        return _("%(hours).1f h") % {"hours": hours}
    return _("%(days).1f days") % {"days": hours / 24}


@register.filter
def stars(value: int) -> str:
    return "★" * value + "☆" * (5 - value)
