"""Shops' automation rules (售后自动化, issue 15): the one place that says what a rule may be and
which requests it matches.

* :func:`rule_errors` checks a rule before it is saved: it needs a condition, its amounts must
  make sense, and its action must be able to act on the kinds it names.
* :func:`matching` is the one query for "the requests this rule matches": the live application
  asks it about one request (:func:`matches`), the preview counts the shop's requests of the
  last 30 days with it (:func:`preview`), so the two can never disagree.

Each action acts on some kinds of request only, at one step (:data:`ACTS_ON`, :data:`STEP`):
agreeing to a refund-only or approving a return when the request is filed; refunding, or
passing the inspection, when the return parcel is signed for.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from orders.models import ReturnAddress

from .models import (
    AfterSalesRequest,
    AutomationRule,
    Kind,
    Reason,
    RequestEvent,
    State,
    TrustLevel,
)

Do = AutomationRule.Do

# The kinds of request each action can act on.
ACTS_ON: dict[str, tuple[str, ...]] = {
    Do.APPROVE_REFUND_ONLY: (Kind.REFUND_ONLY,),
    # An exchange comes back to a return address like a return does; a repair goes to the
    # repair point (and after the warranty waits for the shop's quote), so it is left out.
    Do.APPROVE_RETURN: (Kind.RETURN_REFUND, Kind.EXCHANGE),
    Do.REFUND_ON_SIGN_FOR: (Kind.RETURN_REFUND,),
    # An exchange's inspection ends in shipping a replacement, which a rule cannot do.
    Do.PASS_ON_SIGN_FOR: (Kind.RETURN_REFUND, Kind.REPAIR),
}

SUBMISSION = "submission"
SIGN_FOR = "sign_for"
# When each action acts: right after the request is filed (or revised), or once the return
# parcel is signed for; and the state the request must then be in.
STEP: dict[str, str] = {
    Do.APPROVE_REFUND_ONLY: SUBMISSION,
    Do.APPROVE_RETURN: SUBMISSION,
    Do.REFUND_ON_SIGN_FOR: SIGN_FOR,
    Do.PASS_ON_SIGN_FOR: SIGN_FOR,
}
STATE_AT = {SUBMISSION: State.SUBMITTED, SIGN_FOR: State.RETURN_SHIPPED}

PREVIEW_DAYS = 30
PREVIEW_EXAMPLES = 5

CONDITIONS = (
    "kinds",
    "reasons",
    "amount_at_least",
    "amount_up_to",
    "order_shipped",
    "days_since_delivery_up_to",
    "min_trust_level",
)


def actions_at(step: str) -> list[str]:
    return [action for action, at in STEP.items() if at == step]


def rule_errors(rule: AutomationRule) -> dict[str, list[str]]:
    """What is wrong with ``rule``, by field (``None`` for the rule as a whole); empty when it
    may be saved. The messages are translated and say what to change."""
    errors: dict[str | None, list[str]] = {}

    def refuse(field: str | None, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not any(_condition_set(rule, name) for name in CONDITIONS):
        refuse(
            None,
            _(
                "Give the rule at least one condition: a rule without one would act on every "
                "request."
            ),
        )
    if unknown := [k for k in rule.kinds or [] if k not in Kind.values]:
        refuse("kinds", _("Unknown kind: %(values)s.") % {"values": ", ".join(map(str, unknown))})
    if unknown := [r for r in rule.reasons or [] if r not in Reason.values]:
        refuse(
            "reasons", _("Unknown reason: %(values)s.") % {"values": ", ".join(map(str, unknown))}
        )
    for field in ("amount_at_least", "amount_up_to"):
        amount = getattr(rule, field)
        if amount is not None and amount <= 0:
            refuse(field, _("Give an amount above ¥0.00, or leave it empty."))
    if (
        rule.amount_at_least is not None
        and rule.amount_up_to is not None
        and rule.amount_at_least > rule.amount_up_to
    ):
        refuse(
            "amount_up_to",
            _("Contradictory amounts: “at least ¥%(low)s” and “up to ¥%(high)s” match no request.")
            % {"low": rule.amount_at_least, "high": rule.amount_up_to},
        )
    if rule.order_shipped is False and rule.days_since_delivery_up_to is not None:
        refuse(
            "days_since_delivery_up_to",
            _(
                "An order that was not shipped was never delivered: drop “days since delivery” "
                "or the “not shipped” condition."
            ),
        )
    if rule.min_trust_level is not None and rule.min_trust_level not in TrustLevel.values:
        refuse("min_trust_level", _("Choose a trust level from the list."))
    if rule.action not in Do.values:
        refuse("action", _("Choose an action from the list."))
        return errors
    can = ACTS_ON[rule.action]
    if cannot := [k for k in rule.kinds or [] if k in Kind.values and k not in can]:
        refuse(
            "kinds",
            _("“%(action)s” only acts on: %(can)s. Untick %(cannot)s.")
            % {
                "action": Do(rule.action).label,
                "can": ", ".join(str(Kind(k).label) for k in can),
                "cannot": ", ".join(str(Kind(k).label) for k in cannot),
            },
        )
    if rule.action == Do.APPROVE_RETURN:
        address = rule.return_address
        if address is None:
            refuse("return_address", _("Choose the return address the goods go to."))
        elif address.shop_id != rule.shop_id or address.purpose != ReturnAddress.Purpose.RETURN:
            refuse("return_address", _("Choose one of the shop's return addresses."))
    return errors


def _condition_set(rule: AutomationRule, name: str) -> bool:
    value = getattr(rule, name)
    return value not in (None, [], "")


def matching(rule: AutomationRule) -> QuerySet[AfterSalesRequest]:
    """Every request of the rule's shop that the rule's conditions match, of the kinds its
    action acts on, whatever their state now (the caller narrows it: one request at the step
    it acts on, or the preview's window)."""
    requests = AfterSalesRequest.objects.filter(
        shop_id=rule.shop_id, kind__in=ACTS_ON.get(rule.action, ())
    )
    condition = Q()
    if rule.kinds:
        condition &= Q(kind__in=rule.kinds)
    if rule.reasons:
        condition &= Q(reason__in=rule.reasons)
    if rule.amount_at_least is not None:
        condition &= Q(refund_amount__gte=rule.amount_at_least)
    if rule.amount_up_to is not None:
        condition &= Q(refund_amount__lte=rule.amount_up_to)
    if rule.order_shipped is not None:
        condition &= Q(order_item__shipped_at__isnull=not rule.order_shipped)
    if rule.days_since_delivery_up_to is not None:
        # From delivery to filing; an item not delivered does not match.
        requests = requests.annotate(
            since_delivery=ExpressionWrapper(
                F("created_at") - F("order_item__delivered_at"), output_field=DurationField()
            )
        )
        condition &= Q(since_delivery__lte=timedelta(days=rule.days_since_delivery_up_to))
    if rule.min_trust_level is not None:
        # A buyer without a standing row is a new buyer.
        requests = requests.annotate(
            trust_level=Coalesce(F("buyer__standing__level"), Value(int(TrustLevel.NEW)))
        )
        condition &= Q(trust_level__gte=rule.min_trust_level)
    if rule.action == Do.PASS_ON_SIGN_FOR:
        # A repair after the warranty is the buyer's to pay: the shop inspects it itself.
        condition &= ~Q(kind=Kind.REPAIR, out_of_warranty=True)
    if STEP.get(rule.action) == SIGN_FOR:
        # The platform refunded it already (极速退款): its settlement is not the rule's.
        condition &= Q(fast_refund_at__isnull=True)
    return requests.filter(condition)


def matches(rule: AutomationRule, request: AfterSalesRequest) -> bool:
    """Whether the rule acts on ``request`` now: it matches, at the step its action acts on."""
    return matching(rule).filter(pk=request.pk, state=STATE_AT[STEP[rule.action]]).exists()


def rules_at(shop_id: int, step: str) -> QuerySet[AutomationRule]:
    """The shop's switched-on rules acting at ``step``, in the order they are applied."""
    return (
        AutomationRule.objects.filter(shop_id=shop_id, enabled=True, action__in=actions_at(step))
        .select_related("return_address")
        .order_by("position", "pk")
    )


def first_match(request: AfterSalesRequest, step: str) -> AutomationRule | None:
    """The first of the shop's rules (in order) that acts on ``request`` at ``step``."""
    for rule in rules_at(request.shop_id, step):
        if matches(rule, request):
            return rule
    return None


@dataclass(frozen=True)
class Preview:
    count: int
    examples: list[AfterSalesRequest]
    days: int = PREVIEW_DAYS


def preview(rule: AutomationRule, *, now: datetime) -> Preview:
    """How many of the shop's requests filed in the last :data:`PREVIEW_DAYS` days the rule
    would have handled (its conditions and kinds, as when it acts), with a few of them."""
    recent = matching(rule).filter(created_at__gte=now - timedelta(days=PREVIEW_DAYS))
    examples = list(
        recent.select_related("order_item").order_by("-created_at", "-pk")[:PREVIEW_EXAMPLES]
    )
    count = len(examples) if len(examples) < PREVIEW_EXAMPLES else recent.count()
    return Preview(count=count, examples=examples)


def describe(rule: AutomationRule) -> list[str]:
    """The rule's conditions in words, for the seller's list of rules."""
    words = []
    if rule.kinds:
        words.append(
            _("kind: %(kinds)s") % {"kinds": ", ".join(str(Kind(k).label) for k in rule.kinds)}
        )
    if rule.reasons:
        words.append(
            _("reason: %(reasons)s")
            % {"reasons": ", ".join(str(Reason(r).label) for r in rule.reasons)}
        )
    if rule.amount_at_least is not None:
        words.append(_("amount at least ¥%(amount)s") % {"amount": rule.amount_at_least})
    if rule.amount_up_to is not None:
        words.append(_("amount up to ¥%(amount)s") % {"amount": rule.amount_up_to})
    if rule.order_shipped is True:
        words.append(_("the order was shipped"))
    elif rule.order_shipped is False:
        words.append(_("the order was not shipped"))
    if rule.days_since_delivery_up_to is not None:
        words.append(
            _("filed within %(days)s day(s) of delivery") % {"days": rule.days_since_delivery_up_to}
        )
    if rule.min_trust_level is not None:
        words.append(
            _("buyer's trust level at least “%(level)s”")
            % {"level": TrustLevel(rule.min_trust_level).label}
        )
    return words


def rules_of_shops(shop_ids: list[int]) -> QuerySet[AutomationRule]:
    """The shops' rules in order, each with how many requests it has handled (one query)."""
    return (
        AutomationRule.objects.filter(shop_id__in=shop_ids)
        .select_related("shop", "return_address")
        .annotate(handled=Count("events__request", distinct=True))
        .order_by("shop_id", "position", "pk")
    )


def handled_since(shop_ids: list[int], *, since: datetime) -> int:
    """How many distinct requests the shops' rules acted on since ``since`` (the dashboard's
    "handled by your rules this week"), from the events' rule index."""
    return (
        RequestEvent.objects.filter(
            rule__in=AutomationRule.objects.filter(shop_id__in=shop_ids), created_at__gte=since
        )
        .values("request_id")
        .distinct()
        .count()
    )
