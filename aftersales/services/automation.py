"""Shops' automation rules at work (售后自动化, issue 15), and the shop's keeping of its rules.

Right after the event that can make a rule match, the system applies the shop's switched-on
rules in their order; the first that matches acts, through the same services people use, as the
system actor, and the step's event names the rule:

* :func:`apply_on_submission`, from :mod:`.filing` once a request is filed or revised: agree
  to a refund-only at once, or approve a return to the rule's return address;
* :func:`apply_on_sign_for`, from :mod:`.arrivals` once the return parcel is signed for: refund
  at once, or confirm receipt and pass the inspection.

A rule acts inside a savepoint: if it cannot (the refund cap is reached, the request moved on,
the shop has no return address any more), what it tried is undone and the event that set it
off stands, as if no rule had matched. What a rule matches is :mod:`aftersales.rules`'s.
"""

import logging
from datetime import datetime

from django.db import DatabaseError, transaction
from django.db.models import Max, ProtectedError
from django.utils.translation import gettext as _

from .. import rules
from ..actors import SYSTEM, Actor
from ..errors import AfterSalesError, InvalidInput
from ..models import AfterSalesRequest, AutomationRule, Shipment
from . import returns, seller_review

logger = logging.getLogger(__name__)
Do = AutomationRule.Do


def apply_on_submission(request: AfterSalesRequest, *, now: datetime) -> AfterSalesRequest | None:
    """Let the first of the shop's rules that matches the just filed ``request`` act on it:
    the request as it now is, or ``None`` if no rule acted."""
    # Not before the request's own creation time (taken as it was saved): its durations
    # (time to refund, first response) are never negative.
    return _apply(request, rules.SUBMISSION, parcel=None, now=max(now, request.created_at))


def apply_on_sign_for(
    request: AfterSalesRequest, parcel: Shipment, *, now: datetime
) -> AfterSalesRequest | None:
    """Let the first of the shop's rules that matches ``request``, whose return ``parcel``
    was just signed for, act on it: the request as it now is, or ``None``."""
    return _apply(request, rules.SIGN_FOR, parcel=parcel, now=now)


def _apply(
    request: AfterSalesRequest, step: str, *, parcel: Shipment | None, now: datetime
) -> AfterSalesRequest | None:
    rule = rules.first_match(request, step)
    if rule is None:
        return None
    try:
        with transaction.atomic():  # a savepoint: a rule that fails leaves the event intact
            return _act(rule, request, parcel=parcel, now=now)
    except (AfterSalesError, DatabaseError) as error:
        logger.warning("Rule %s did not act on request %s: %s", rule.pk, request.pk, error)
        return None


def _act(
    rule: AutomationRule, request: AfterSalesRequest, *, parcel: Shipment | None, now: datetime
) -> AfterSalesRequest:
    if rule.action in (Do.APPROVE_REFUND_ONLY, Do.APPROVE_RETURN):
        return seller_review.approve_request(
            request=request,
            actor=SYSTEM,
            return_address=rule.return_address if rule.action == Do.APPROVE_RETURN else None,
            rule=rule,
            now=now,
        )
    if rule.action == Do.REFUND_ON_SIGN_FOR:
        return returns.refund_on_sign_for(
            request=request, parcel=parcel, rule=rule, actor=SYSTEM, now=now
        )
    request = returns.confirm_return_received(request=request, actor=SYSTEM, rule=rule, now=now)
    return returns.pass_inspection(request=request, actor=SYSTEM, rule=rule, now=now)


# --- the shop's keeping of its rules (/seller/rules/) ----------------------------------------


def save_rule(*, rule: AutomationRule, actor: Actor) -> AutomationRule:
    """Create or change a rule, once :func:`aftersales.rules.rule_errors` finds nothing wrong
    with it (the form shows the same errors field by field). A new rule goes last."""
    if rule.action != Do.APPROVE_RETURN:
        rule.return_address = None
    if errors := rules.rule_errors(rule):
        raise InvalidInput(" ".join(str(m) for messages in errors.values() for m in messages))
    with transaction.atomic():
        if rule.pk is None:
            rule.created_by = actor
            last = AutomationRule.objects.filter(shop_id=rule.shop_id).aggregate(
                last=Max("position")
            )["last"]
            rule.position = 0 if last is None else last + 1
        rule.save()
    return rule


def switch_rule(*, rule: AutomationRule, enabled: bool) -> AutomationRule:
    AutomationRule.objects.filter(pk=rule.pk).update(enabled=enabled)
    rule.enabled = enabled
    return rule


@transaction.atomic
def move_rule(*, rule: AutomationRule, up: bool) -> None:
    """Swap the rule with the one before (``up``) or after it in the shop's order; the order
    is renumbered 0, 1, 2, … on the way, so equal positions never make it ambiguous."""
    ordered = list(
        AutomationRule.objects.select_for_update()
        .filter(shop_id=rule.shop_id)
        .order_by("position", "pk")
    )
    was = {r.pk: r.position for r in ordered}
    ids = list(was)
    at = ids.index(rule.pk)
    to = at - 1 if up else at + 1
    if 0 <= to < len(ids):
        ids[at], ids[to] = ids[to], ids[at]
    for position, pk in enumerate(ids):
        if was[pk] != position:
            AutomationRule.objects.filter(pk=pk).update(position=position)


def delete_rule(*, rule: AutomationRule) -> None:
    """A rule that never acted goes; one that did stays, because the request events name it:
    it can only be switched off."""
    if rule.events.exists():
        raise InvalidInput(
            _(
                "This rule has already acted on requests, and their history names it: it "
                "cannot be deleted. Switch it off instead."
            )
        )
    try:
        rule.delete()
    except ProtectedError as error:  # it acted in the meantime
        raise InvalidInput(
            _("This rule has just acted on a request: switch it off instead.")
        ) from error
