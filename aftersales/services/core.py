"""The steps every change to a request takes, as ordinary calls (SPEC §4).

A service reads top to bottom::

    request = lock(request)                       # select_for_update, fresh from the database
    role = check_may(actor, Action.APPROVE, request)  # the actor's role, declared on the transition
    change = advance(request, Action.APPROVE, role=role, actor=actor, now=now, ...)
    change.money += ledger.agreed_money(request)  # what else the transition moves
    write(change)                                 # rows, event, evidence; notifications on commit

:func:`advance` computes what a transition changes (new state, next deadline, the event row)
without writing anything; :func:`write` writes it for one request. Keeping the two apart lets a
batch (the deadline sweep) compute many changes with the same rules and write them together.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django_fsm import TransitionNotAllowed

from .. import deadlines, notifications
from ..actors import SYSTEM, Actor, role_of
from ..errors import ActionNotAllowed, StaleAction
from ..evidence import PreparedFile
from ..models import (
    AfterSalesRequest,
    AutomationRule,
    Dispute,
    Evidence,
    LedgerEntry,
    Message,
    Proposal,
    RequestEvent,
    Role,
    Shipment,
)
from ..tasks import announce_transition, announce_transitions
from . import ledger

PARTIES = frozenset({Role.BUYER, Role.SELLER, Role.STAFF})


@dataclass
class Change:
    """What one transition writes: the request as it now is, its event, and the rows that
    come with it. Nothing is in the database until :func:`write`."""

    request: AfterSalesRequest
    event: RequestEvent
    files: Sequence[PreparedFile] = ()
    money: list[LedgerEntry] = field(default_factory=list)
    dispute: Dispute | None = None
    # Parcels that arrive with this step, and whether a pending proposal lapses.
    received: list[Shipment] = field(default_factory=list)
    lapse_offers: bool = False
    # Who hears about it; empty means whoever acts next.
    notify: Sequence[Role] = ()
    # The request's columns the transition changed, with their new values.
    updates: dict[str, object] = field(default_factory=dict)


def lock(request: AfterSalesRequest) -> AfterSalesRequest:
    """The request row, locked for this transaction and read afresh."""
    return (
        AfterSalesRequest.objects.select_for_update(of=("self",))
        .select_related("order_item", "order", "shop")
        .get(pk=request.pk)
    )


def check_role(actor: Actor, request: AfterSalesRequest, roles: frozenset[Role]) -> Role:
    """The actor's role on the request, if it is one of ``roles``."""
    role = role_of(actor, request)
    if role not in roles:
        raise ActionNotAllowed()
    return role


def check_may(actor: Actor, action: str, request: AfterSalesRequest) -> Role:
    """The role in which ``actor`` takes the transition ``action`` now.

    :class:`ActionNotAllowed` if the transition is not declared for the actor's role;
    :class:`StaleAction` if it is, but not from the request's current state (a stale page, a
    double click, a colleague who was faster).
    """
    role = check_role(actor, request, request.roles_for(action))
    if not request.allows(action, role):
        raise StaleAction()
    return role


# The columns a transition may change (see the transition methods and ``advance``).
TRANSITION_FIELDS = [
    "state",
    "kind",
    "reason",
    "quantity",
    "refund_amount",
    "description",
    "replacement",
    "replacement_details",
    "delivery_address",
    "return_address",
    "repair_fee",
    "out_of_warranty",
    "close_reason",
    "due_at",
    "due_action",
    "reminded_at",
    "finished_at",
    "first_response_at",
]


def advance(
    request: AfterSalesRequest,
    action: str,
    *,
    role: Role,
    actor: Actor,
    now: datetime,
    note: str = "",
    refusal: str = "",
    files: Sequence[PreparedFile] = (),
    rule: AutomationRule | None = None,
    **arguments,
) -> Change:
    """Take the transition ``action`` in memory: the new state, the next deadline and the
    event (with the ``note``, the ``refusal`` reason, the ``files`` that came with it, and the
    shop's automation ``rule`` when one took the step). ``arguments`` go to the model's
    transition method."""
    from_state = request.state
    before = {name: getattr(request, name) for name in TRANSITION_FIELDS}
    try:
        getattr(request, action)(**arguments)
    except TransitionNotAllowed as exc:
        raise StaleAction() from exc
    request.due_at, request.due_action = deadlines.next_deadline(request, now=now)
    request.reminded_at = None
    if not request.is_open:
        request.finished_at = now
    # A shop's rule answers in the shop's name: its step is the shop's first response too.
    if (role == Role.SELLER or rule is not None) and request.first_response_at is None:
        request.first_response_at = now
    updates = {
        name: value
        for name in TRANSITION_FIELDS
        if (value := getattr(request, name)) != before[name]
    }
    event = RequestEvent(
        request=request,
        actor=None if actor is SYSTEM else actor,
        actor_role=role,
        action=action,
        from_state=from_state,
        to_state=request.state,
        reason=refusal,
        note=note,
        rule=rule,
        created_at=now,
    )
    return Change(request=request, event=event, files=files, updates=updates)


def write(change: Change) -> RequestEvent:
    """Write one request's change: the row, its event and evidence, the dispute, the parcels,
    the offers and the money, in the caller's transaction; payouts and notifications go out
    once it commits."""
    change.request.save()
    change.event.save()
    attach_evidence(change.request, change.files, event=change.event)
    if change.dispute is not None:
        change.dispute.save()
    _receive_and_lapse([change])
    ledger.write_entries(change.money)
    notify_on_commit(change.event, change.notify)
    return change.event


def write_together(changes: Sequence[Change]) -> list[RequestEvent]:
    """Write many requests' changes in a few statements: the same rows :func:`write` writes
    one by one (evidence excepted: the system attaches none), for the deadline sweep.

    The caller holds the requests' locks. Refund caps were checked when the money was computed
    (:func:`ledger.check_caps`); the item's check constraint still refuses an overdraft, and
    then nothing of the batch is written.
    """
    if not changes:
        return []
    if any(change.files for change in changes):
        raise ValueError("A batch carries no evidence; write such a change on its own.")
    # Rows that change alike (same state, deadline, address, …) are one UPDATE.
    alike: dict[tuple, list[int]] = defaultdict(list)
    for change in changes:
        change.request.updated_at = change.event.created_at
        updates = {**change.updates, "updated_at": change.request.updated_at}
        alike[tuple(sorted(updates.items()))].append(change.request.pk)
    for updates, ids in alike.items():
        AfterSalesRequest.objects.filter(pk__in=ids).update(**dict(updates))
    events = RequestEvent.objects.bulk_create([c.event for c in changes])
    Dispute.objects.bulk_create([c.dispute for c in changes if c.dispute is not None])
    _receive_and_lapse(changes)
    ledger.write_entries_together([entry for c in changes for entry in c.money])
    announcements = [(c.event.pk, [str(role) for role in c.notify] or None) for c in changes]
    notifications.notify((c.event, c.notify) for c in changes)
    transaction.on_commit(lambda: announce_transitions.delay(announcements), robust=True)
    return events


def _receive_and_lapse(changes: Sequence[Change]) -> None:
    """Parcels that arrived and offers that lapsed, one statement per moment (a batch has one)."""
    for moment in {c.event.created_at for c in changes}:
        at_moment = [c for c in changes if c.event.created_at == moment]
        if parcels := [parcel.pk for c in at_moment for parcel in c.received]:
            Shipment.objects.filter(pk__in=parcels).update(received_at=moment)
        if requests := [c.request.pk for c in at_moment if c.lapse_offers]:
            Proposal.objects.filter(request__in=requests, status=Proposal.Status.PENDING).update(
                status=Proposal.Status.LAPSED, answered_at=moment
            )


def open_dispute(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    role: Role,
    reason: str,
    statement: str,
    now: datetime,
) -> Dispute:
    """The case the platform works, with the seller's answer window and the ruling target."""
    limits = settings.AFTERSALES_DEADLINES
    return Dispute(
        request=request,
        opened_by=None if actor is SYSTEM else actor,
        opened_by_role=role,
        reason=reason,
        buyer_statement=statement,
        opened_at=now,
        seller_answer_due_at=now + limits["seller_dispute_answer"],
        ruling_due_at=now + limits["ruling_target"],
    )


def record_activity(
    request: AfterSalesRequest,
    *,
    actor: Actor,
    roles: frozenset[Role],
    action: str,
    now: datetime,
    note: str = "",
    files: Sequence[PreparedFile] = (),
    notify: Sequence[Role] = (),
) -> RequestEvent:
    """Log something that happens on a request without moving it (a dispute statement, an
    evidence request, a complaint): locked, checked and notified like a transition, so it
    shows on the same timeline with its evidence."""
    request = lock(request)
    role = check_role(actor, request, roles)
    event = RequestEvent.objects.create(
        request=request,
        actor=None if actor is SYSTEM else actor,
        actor_role=role,
        action=action,
        from_state=request.state,
        to_state=request.state,
        note=note,
        created_at=now,
    )
    attach_evidence(request, files, event=event)
    mark_changed(request, now=now)
    notify_on_commit(event, notify)
    return event


def mark_changed(request: AfterSalesRequest, *, now: datetime) -> None:
    """Something was added to the request without moving it (a message, a statement, an
    evidence request): it counts as changed (``updated_at``) for whoever follows changes, the
    API's sync by modification time and the seller center's cached queue. The caller holds
    the request's lock."""
    AfterSalesRequest.objects.filter(pk=request.pk).update(updated_at=now)
    request.updated_at = now


def attach_evidence(
    request: AfterSalesRequest,
    files: Sequence[PreparedFile],
    *,
    event: RequestEvent | None = None,
    message: Message | None = None,
) -> None:
    """Store checked files as evidence of the event or message they came with."""
    source = event or message
    for prepared in files:
        evidence = Evidence(
            request=request,
            created_at=source.created_at,
            uploaded_by_id=event.actor_id if event else message.author_id,
            uploader_role=event.actor_role if event else message.author_role,
            event=event,
            message=message,
            media_type=prepared.media_type,
            original_name=prepared.original_name,
            content_type=prepared.content_type,
            size=prepared.size,
        )
        evidence.file.save(prepared.content.name, prepared.content, save=False)
        if prepared.thumbnail is not None:
            evidence.thumbnail.save(prepared.thumbnail.name, prepared.thumbnail, save=False)
        evidence.save()


def notify_on_commit(event: RequestEvent, audiences: Sequence[Role] = ()) -> None:
    """Tell whoever acts next (or the sides in ``audiences``): the notifications are written
    now, with the event, and e-mailed once the transaction commits."""
    names = [str(role) for role in audiences] or None
    notifications.notify([(event, names or ())])
    # robust: the action has committed; a broker hiccup must not turn it into an error page.
    transaction.on_commit(lambda: announce_transition.delay(event.pk, names), robust=True)
