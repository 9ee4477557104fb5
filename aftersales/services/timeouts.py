"""What only the system does, when a party lets a deadline pass (SPEC §4). The other automatic
steps are the people's own actions taken by the system actor (approve, pass the inspection,
confirm delivery); :mod:`aftersales.deadlines` says which applies when."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..actors import SYSTEM, Actor
from ..models import Action, AfterSalesRequest, Role
from .core import Change, advance, check_may, lock, write


@transaction.atomic
def close_for_timeout(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The buyer let their deadline pass (answer a proposal or rejection, ship back)."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.CLOSE_FOR_TIMEOUT, request)
    write(timeout_closure(request, role=role, actor=actor, now=now))
    return request


def timeout_closure(
    request: AfterSalesRequest, *, role: Role, actor: Actor, now: datetime
) -> Change:
    """Closed for the buyer's silence; a proposal still waiting for them lapses."""
    change = advance(request, Action.CLOSE_FOR_TIMEOUT, role=role, actor=actor, now=now)
    change.lapse_offers = True
    return change


@transaction.atomic
def close_unquoted(
    *, request: AfterSalesRequest, actor: Actor = SYSTEM, now: datetime | None = None
) -> AfterSalesRequest:
    """The shop let the deadline to quote a repair after the warranty pass."""
    now = now or timezone.now()
    request = lock(request)
    role = check_may(actor, Action.CLOSE_UNQUOTED, request)
    write(unquoted_closure(request, role=role, actor=actor, now=now))
    return request


def unquoted_closure(
    request: AfterSalesRequest, *, role: Role, actor: Actor, now: datetime
) -> Change:
    """Closed because no repair fee was quoted in time: nothing is owed."""
    return advance(request, Action.CLOSE_UNQUOTED, role=role, actor=actor, now=now)
