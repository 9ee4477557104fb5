"""Telling the party who must act next that it is their turn (SPEC §8): an entry in their
notification centre and an email, on every transition and a day before a deadline."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .actors import ARBITRATORS_GROUP
from .deadlines import deadline_sentence
from .models import NEXT_ACTOR, TERMINAL_STATES, AfterSalesRequest, Notification, RequestEvent, Role

User = get_user_model()


def parties(request: AfterSalesRequest, role: Role) -> list:
    if role == Role.SELLER:
        return list(User.objects.filter(shop_memberships__shop_id=request.shop_id))
    if role == Role.BUYER:
        return [request.buyer]
    if role == Role.STAFF:
        return list(User.objects.filter(groups__name=ARBITRATORS_GROUP))
    return []


def audience_of(state: str) -> Role | None:
    """Who hears about a request entering ``state``: whoever acts next; the buyer when it ends."""
    if state in TERMINAL_STATES:
        return Role.BUYER
    return NEXT_ACTOR.get(state)


def announce(*, event_id: int, audiences: list[str] | None = None) -> None:
    """Notify about one logged event: by default whoever acts next after it; ``audiences``
    names the sides to tell instead (the side asked for evidence; both sides of a ruling)."""
    event = RequestEvent.objects.select_related(
        "request__buyer", "request__order_item", "request__shop"
    ).get(pk=event_id)
    request = event.request
    roles = [Role(a) for a in audiences] if audiences else [audience_of(event.to_state)]
    for audience in roles:
        recipients = [user for user in parties(request, audience) if user.pk != event.actor_id]
        Notification.objects.bulk_create(
            Notification(
                recipient=user,
                request=request,
                event=event,
                kind=Notification.Kind.TRANSITION,
                audience=audience,
                created_at=event.created_at,
            )
            for user in recipients
        )
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("After-sales request #%(id)s: %(state)s") % {
                "id": request.pk,
                "state": event.get_to_state_display(),
            }
            _email(recipients, subject, _deadline_lines(request, intro=request.order_item.title))


def remind(*, request_id: int) -> None:
    """A day before the deadline: one reminder to whoever must act."""
    request = AfterSalesRequest.objects.select_related("buyer", "order_item", "shop").get(
        pk=request_id
    )
    audience = NEXT_ACTOR.get(request.state)
    if request.due_at is None or audience is None:
        return
    recipients = parties(request, audience)
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            request=request,
            kind=Notification.Kind.REMINDER,
            audience=audience,
            due_at=request.due_at,
        )
        for user in recipients
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Reminder: after-sales request #%(id)s is due soon") % {"id": request.pk}
        _email(recipients, subject, _deadline_lines(request, intro=request.order_item.title))


def _deadline_lines(request: AfterSalesRequest, *, intro: str) -> str:
    lines = [f"{intro} — {request.get_state_display()}"]
    if request.due_at:
        lines.append(
            _("Deadline: %(due)s (Beijing time).")
            % {"due": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M")}
        )
        lines.append(deadline_sentence(request))
    return "\n".join(lines)


def _email(recipients: list, subject: str, body: str) -> None:
    """One message per recipient: parties never see each other's addresses."""
    send_mass_mail([(subject, body, None, [user.email]) for user in recipients if user.email])
