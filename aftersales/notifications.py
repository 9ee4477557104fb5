"""Telling the party who must act next that it is their turn (SPEC §8): an entry in their
notification centre and an e-mail, on every transition and a day before a deadline.

Each exactly once, whatever the broker and the workers do:

- The notifications are written in the transaction that logs the event (:func:`notify`) or
  marks the deadline reminded (:func:`remind`): they exist exactly when what they announce
  does, and a lost, late or repeated task can neither lose nor double them. The database
  refuses a second notice of an event, or reminder of a deadline, to the same person anyway.
- A notification whose recipient has an address owes an e-mail (``email_pending``). The task
  sent on commit (:func:`send_emails`) claims the rows under a lock (``SKIP LOCKED``: a twin
  task at the same moment passes them by), sends, and clears the debt in the same transaction,
  so a task that runs again finds nothing owed. A task that never ran is made up by the sweep's
  per-minute pass (``settings.NOTIFICATION_EMAIL_RESEND_AFTER``). Only a crash between the mail
  server's answer and the commit sends one twice; both copies carry the notification's own
  Message-ID, which mail clients show once.
- An e-mail says what its event said, not what the request says when the task runs: a late
  e-mail about "waiting for the seller to confirm receipt" stays that, and adds that the
  request has moved on since. It is written in the recipient's language
  (:func:`orders.preferences.language_of`) and links to the request on the recipient's side of
  the platform (``settings.SITE_URL``).
"""

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Order, ShopMember
from orders.preferences import language_of

from .actors import ARBITRATORS_GROUP
from .deadlines import deadline_sentence
from .models import (
    NEXT_ACTOR,
    TERMINAL_STATES,
    Action,
    AfterSalesRequest,
    LedgerEntry,
    Notification,
    RequestEvent,
    Role,
    State,
)
from .signals import send_live

User = get_user_model()

Announcement = tuple[RequestEvent, Sequence[str]]


def audience_of(state: str) -> Role | None:
    """Who hears about a request entering ``state``: whoever acts next; the buyer when it ends."""
    if state in TERMINAL_STATES:
        return Role.BUYER
    return NEXT_ACTOR.get(state)


def request_url(request_id: int, audience: str) -> str:
    """The request's page for one side: the buyer's, the seller center's, or the admin."""
    if audience == Role.SELLER:
        return reverse("seller:request_detail", args=[request_id])
    if audience == Role.STAFF:
        return reverse("admin:aftersales_aftersalesrequest_change", args=[request_id])
    return reverse("buyer:request_detail", args=[request_id])


# --- what they say ---------------------------------------------------------------------------

# The recipient's next step once an event has left the request in a state, by their side.
NEXT_STEP = {
    (State.SUBMITTED, Role.SELLER): gettext_lazy(
        "Next: approve it, propose another solution or reject it."
    ),
    (State.NEGOTIATING, Role.BUYER): gettext_lazy("Next: accept or decline the seller's proposal."),
    (State.REJECTED, Role.BUYER): gettext_lazy(
        "Next: revise the request, ask the platform to step in, or withdraw it."
    ),
    (State.AWAITING_RETURN, Role.BUYER): gettext_lazy(
        "Next: send the goods back and enter the tracking number."
    ),
    (State.RETURN_SHIPPED, Role.SELLER): gettext_lazy(
        "Next: confirm receipt when the goods arrive."
    ),
    (State.INSPECTING, Role.SELLER): gettext_lazy("Next: record the inspection result."),
    (State.REPLACEMENT_SHIPPED, Role.BUYER): gettext_lazy("Next: confirm receipt once it arrives."),
    (State.REPAIR_SHIPPED, Role.BUYER): gettext_lazy("Next: confirm receipt once it arrives."),
    (State.DISPUTED, Role.SELLER): gettext_lazy(
        "Next: answer the platform with your statement and evidence."
    ),
    (State.DISPUTED, Role.STAFF): gettext_lazy("Next: rule on the dispute."),
    (State.EXCHANGED, Role.BUYER): gettext_lazy("You can now rate the after-sales service."),
    (State.REPAIRED, Role.BUYER): gettext_lazy("You can now rate the after-sales service."),
}


def event_summary(event: RequestEvent, *, request: AfterSalesRequest, audience: str) -> str:
    """What a notification of ``event`` says to one side: who did what, what came of it (for a
    refund: how much, back to which payment method, and when it usually arrives), and the
    recipient's next step. The notification centre and the e-mail say the same."""
    who = capfirst(event.get_actor_role_display())
    did = request.words("action", event.action, role=event.actor_role, rule=event.rule_name)
    moved = event.to_state != event.from_state
    next_step = NEXT_STEP.get((event.to_state, audience), "")
    if moved and event.to_state == State.REFUNDED:
        method = Order.PaymentMethod(request.order.payment_method)
        outcome = _("refunded, %(amount)s back to %(method)s") % {
            "amount": f"¥{request.refund_amount:,.2f}",
            "method": method.label,
        }
        next_step = _("It usually arrives within %(days)s day(s).") % {"days": method.refund_days}
    elif moved:
        outcome = request.words("state", event.to_state)
    elif event.action == Action.INSURANCE_CLAIM and (
        claim := request.ledger_entries.filter(type=LedgerEntry.Type.INSURANCE_CLAIM).first()
    ):
        method = Order.PaymentMethod(claim.payment_method)
        outcome = _("%(amount)s for your return postage, to %(method)s") % {
            "amount": f"¥{claim.amount:,.2f}",
            "method": method.label,
        }
        next_step = _("It usually arrives within %(days)s day(s).") % {"days": method.refund_days}
    else:
        outcome = ""
    if outcome:
        text = _("%(who)s %(did)s: %(outcome)s.") % {"who": who, "did": did, "outcome": outcome}
    else:
        text = _("%(who)s %(did)s.") % {"who": who, "did": did}
    if not next_step:
        return text
    # Sentences follow each other with a space in English, without one in Chinese.
    return _("%(said)s %(next)s") % {"said": text, "next": next_step}


# --- writing them, in the transaction of what they announce -------------------------------------


def notify(announcements: Iterable[Announcement]) -> None:
    """Write the notifications of these events: for each, one per person on the sides named
    (whoever acts next when none are), the event's own actor excepted. Call it in the event's
    transaction; :func:`send_emails` sends the e-mails once it has committed. Writing a
    notification that exists already does nothing."""
    wanted: list[tuple[RequestEvent, Role]] = []
    for event, audiences in announcements:
        roles = [Role(a) for a in audiences] if audiences else [audience_of(event.to_state)]
        wanted += [(event, role) for role in roles if role is not None]
    people = _parties([(event.request, role) for event, role in wanted])
    rows: dict[tuple[int, int], Notification] = {}
    for event, role in wanted:
        for user in people[event.request.pk, role]:
            if user.pk == event.actor_id or (event.pk, user.pk) in rows:
                continue
            rows[event.pk, user.pk] = Notification(
                recipient=user,
                request=event.request,
                event=event,
                kind=Notification.Kind.TRANSITION,
                audience=role,
                created_at=event.created_at,
                email_pending=bool(user.email),
            )
    Notification.objects.bulk_create(rows.values(), ignore_conflicts=True)
    _announce_live({user_id for _event_id, user_id in rows})


def _announce_live(user_ids: set[int]) -> None:
    """Once the notifications are committed, the headers open for these people count again."""
    if user_ids:
        transaction.on_commit(lambda: send_live("notified", user_ids=sorted(user_ids)), robust=True)


def remind(request: AfterSalesRequest) -> int:
    """Write the reminders of the request's current deadline to whoever must act; call it in
    the transaction that marks the request reminded. How many were written."""
    audience = NEXT_ACTOR.get(request.state)
    if request.due_at is None or audience is None:
        return 0
    rows = [
        Notification(
            recipient=user,
            request=request,
            kind=Notification.Kind.REMINDER,
            audience=audience,
            due_at=request.due_at,
            email_pending=bool(user.email),
        )
        for user in _parties([(request, audience)])[request.pk, audience]
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    _announce_live({row.recipient_id for row in rows})
    return len(rows)


def parties(request: AfterSalesRequest, role: Role) -> list:
    """The people on one side of one request (the dispute reminders tell them too)."""
    return _parties([(request, role)])[request.pk, role]


def _parties(wanted: Sequence[tuple[AfterSalesRequest, Role]]) -> dict[tuple[int, Role], list]:
    """The people on each side of each request, in at most one query per side."""
    buyers = {request.buyer_id for request, role in wanted if role == Role.BUYER}
    shops = {request.shop_id for request, role in wanted if role == Role.SELLER}
    users = User.objects.order_by("pk")
    by_pk = {user.pk: user for user in users.filter(pk__in=buyers)} if buyers else {}
    members: dict[int, list] = {}
    if shops:
        for member in (
            # People only: an API key's user (an ERP, told by webhooks) and a deactivated
            # member read no notification centre.
            ShopMember.objects.filter(
                shop_id__in=shops, user__is_active=True, user__api_key__isnull=True
            )
            .select_related("user")
            .order_by("user_id")
        ):
            members.setdefault(member.shop_id, []).append(member.user)
    staff = (
        list(users.filter(groups__name=ARBITRATORS_GROUP))
        if any(role == Role.STAFF for _, role in wanted)
        else []
    )
    people = {}
    for request, role in wanted:
        if role == Role.BUYER:
            found = [by_pk[request.buyer_id]] if request.buyer_id in by_pk else []
        elif role == Role.SELLER:
            found = members.get(request.shop_id, [])
        elif role == Role.STAFF:
            found = staff
        else:
            found = []
        people[request.pk, role] = found
    return people


# --- sending their e-mails, after the commit ----------------------------------------------------


def announce(announcements: Sequence[tuple[int, Sequence[str] | None]]) -> int:
    """E-mail the notifications of these events (ids, with the sides told). An event with no
    notification at all (a message queued before they were written with the event) gets them
    written first. How many e-mails went out."""
    event_ids = [event_id for event_id, _ in announcements]
    with transaction.atomic():
        have = set(
            Notification.objects.filter(event_id__in=event_ids).values_list("event_id", flat=True)
        )
        if missing := {event_id: a for event_id, a in announcements if event_id not in have}:
            events = RequestEvent.objects.select_related("request").filter(pk__in=missing)
            notify([(event, missing[event.pk] or ()) for event in events])
    return send_emails(Notification.objects.filter(event_id__in=event_ids))


def send_reminder_emails(*, request_id: int) -> int:
    """E-mail the reminders of the request still owed. (Written first if the request was marked
    reminded without them: a message queued before they were written with the mark.)"""
    request = AfterSalesRequest.objects.filter(pk=request_id).first()
    if request is None:
        return 0
    reminders = Notification.objects.filter(request=request, kind=Notification.Kind.REMINDER)
    if (
        request.due_at is not None
        and request.reminded_at is not None
        and not reminders.filter(due_at=request.due_at).exists()
    ):
        with transaction.atomic():
            remind(request)
    return send_emails(reminders)


def send_emails(notifications: QuerySet[Notification] | Sequence[int]) -> int:
    """Send the e-mails these notifications still owe, each once; how many went out.

    The rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and released as sent in the
    same transaction: a twin task passes the claimed rows by, a later one finds them sent. A
    reminder whose deadline has moved on since is not sent: there is nothing left to remind of.
    """
    if not isinstance(notifications, QuerySet):
        notifications = Notification.objects.filter(pk__in=list(notifications))
    with transaction.atomic():
        owed = list(
            notifications.filter(email_pending=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient__preferences", "event__rule", "request__order_item")
            .order_by("pk")
        )
        if not owed:
            return 0
        settled = _still_standing(owed)
        messages = [
            _message(n, current=settled[n.pk])
            for n in owed
            if n.recipient.email and n.pk in settled
        ]
        if messages:
            get_connection().send_messages(messages)
        Notification.objects.filter(pk__in=[n.pk for n in owed]).update(email_pending=False)
        Notification.objects.filter(pk__in=[m.notification_id for m in messages]).update(
            emailed_at=timezone.now()
        )
    return len(messages)


def _still_standing(owed: Sequence[Notification]) -> dict[int, bool]:
    """For each notification worth sending: is the request still where it left it (no
    transition since its event; the same deadline for a reminder)? Stale reminders are left out."""
    requests = {n.request_id for n in owed if n.kind == Notification.Kind.TRANSITION}
    last_move = dict(
        RequestEvent.objects.filter(request_id__in=requests)
        .exclude(from_state=F("to_state"))
        .values("request_id")
        .annotate(last=Max("pk"))
        .values_list("request_id", "last")
    )
    standing = {}
    for n in owed:
        if n.kind == Notification.Kind.REMINDER:
            if n.request.due_at == n.due_at:
                standing[n.pk] = True
        else:
            standing[n.pk] = n.event_id >= last_move.get(n.request_id, 0)
    return standing


def _message(notification: Notification, *, current: bool) -> EmailMessage:
    """One e-mail to one person (parties never see each other's addresses), in their language."""
    request, event = notification.request, notification.event
    with translation.override(language_of(notification.recipient)):
        if notification.kind == Notification.Kind.REMINDER:
            subject = _("Reminder: after-sales request #%(id)s is due soon") % {"id": request.pk}
            lines = [f"{request.order_item.title} — {request.state_label}"]
        else:
            subject = _("After-sales request #%(id)s: %(state)s") % {
                "id": request.pk,
                "state": request.words("state", event.to_state),
            }
            lines = [
                f"{request.order_item.title} — {request.words('state', event.to_state)}",
                event_summary(event, request=request, audience=notification.audience),
            ]
        if current and request.due_at:
            lines.append(
                _("Deadline: %(due)s (Beijing time).")
                % {"due": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M")}
            )
            lines.append(deadline_sentence(request))
        elif not current:
            lines.append(
                _("It has moved on since: now %(state)s.") % {"state": request.state_label}
            )
        link = settings.SITE_URL + request_url(request.pk, notification.audience)
        lines += ["", _("Open the request: %(url)s") % {"url": link}]
    message = EmailMessage(
        subject,
        "\n".join(lines),
        None,
        [notification.recipient.email],
        headers={"Message-ID": f"<notification-{notification.pk}@{_mail_domain()}>"},
    )
    message.notification_id = notification.pk
    return message


def _mail_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"
