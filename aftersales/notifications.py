"""Telling the party who must act next that it is their turn (SPEC §8)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .actors import ARBITRATORS_GROUP
from .models import NEXT_ACTOR, TERMINAL_STATES, RequestEvent, Role

User = get_user_model()


def recipients(event: RequestEvent) -> list:
    """Who hears about this transition: whoever acts next; the buyer when it is finished."""
    request = event.request
    role = NEXT_ACTOR.get(event.to_state)
    if role == Role.SELLER:
        return list(User.objects.filter(shop_memberships__shop_id=request.shop_id))
    if role == Role.BUYER or event.to_state in TERMINAL_STATES:
        return [request.buyer]
    if role == Role.STAFF:
        return list(User.objects.filter(groups__name=ARBITRATORS_GROUP))
    return []


def announce(*, event_id: int) -> None:
    """Email each recipient separately (addresses are never shared between parties)."""
    event = RequestEvent.objects.select_related(
        "request__buyer", "request__order_item", "request__shop"
    ).get(pk=event_id)
    request = event.request
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("After-sales request #%(id)s: %(state)s") % {
            "id": request.pk,
            "state": request.get_state_display(),
        }
        body = _("%(item)s — %(state)s.") % {
            "item": request.order_item.title,
            "state": request.get_state_display(),
        }
        if request.due_at:
            body += "\n" + _("Deadline: %(due)s (Beijing time), then %(action)s.") % {
                "due": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M"),
                "action": request.get_due_action_display(),
            }
    send_mass_mail(
        [(subject, body, None, [user.email]) for user in recipients(event) if user.email]
    )
