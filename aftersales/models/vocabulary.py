"""The words of the after-sales domain: kinds, reasons, states, roles and actions.

Each is one ``TextChoices`` with translated labels, used alike by the models, the services,
the stored events, the pages and the deadline sweep.
"""

from functools import cache

from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only")
    RETURN_REFUND = "return_refund", _("Return and refund")
    EXCHANGE = "exchange", _("Exchange")
    REPAIR = "repair", _("Repair")

    @property
    def is_money(self) -> bool:
        return self in (Kind.REFUND_ONLY, Kind.RETURN_REFUND)

    @property
    def needs_goods_back(self) -> bool:
        return self is not Kind.REFUND_ONLY


class Reason(models.TextChoices):
    # 七天无理由: the buyer's own choice.
    CHANGED_MIND = "changed_mind", _("Changed my mind")
    WRONG_SIZE = "wrong_size", _("Bought the wrong size or variant")
    # The seller is responsible.
    QUALITY_PROBLEM = "quality_problem", _("Quality problem")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    DAMAGED_IN_TRANSIT = "damaged_in_transit", _("Damaged in transit")
    MISSING_PARTS = "missing_parts", _("Missing parts or accessories")
    NOT_RECEIVED = "not_received", _("Not received")

    @property
    def is_no_reason(self) -> bool:
        return self in (Reason.CHANGED_MIND, Reason.WRONG_SIZE)


class Replacement(models.TextChoices):
    """What an exchange asks for instead of the item (换货: the same again, or another variant)."""

    SAME = "same", _("The same item again")
    SIZE = "size", _("Another size")
    COLOUR = "colour", _("Another colour")
    OTHER = "other", _("Another variant")

    @property
    def needs_details(self) -> bool:
        """Which size, colour or variant: the seller cannot guess it."""
        return self is not Replacement.SAME


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for the seller")
    NEGOTIATING = "negotiating", _("Waiting for the buyer to answer the proposal")
    REJECTED = "rejected", _("Rejected by the seller")
    AWAITING_RETURN = "awaiting_return", _("Waiting for the buyer to ship back")
    RETURN_SHIPPED = "return_shipped", _("Waiting for the seller to confirm receipt")
    INSPECTING = "inspecting", _("Seller inspecting")
    REPAIRING = "repairing", _("Being repaired")
    REPLACEMENT_SHIPPED = "replacement_shipped", _("Replacement on its way")
    REPAIR_SHIPPED = "repair_shipped", _("Repaired item on its way")
    DISPUTED = "disputed", _("Platform intervening")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGED = "exchanged", _("Exchange completed")
    REPAIRED = "repaired", _("Repair completed")
    CLOSED = "closed", _("Closed")


SUCCESS_STATES = (State.REFUNDED, State.EXCHANGED, State.REPAIRED)
TERMINAL_STATES = (*SUCCESS_STATES, State.CLOSED)
OPEN_STATES = tuple(s for s in State if s not in TERMINAL_STATES)


class CloseReason(models.TextChoices):
    WITHDRAWN = "withdrawn", _("Withdrawn by the buyer")
    TIMED_OUT = "timed_out", _("Timed out")
    RULED_FOR_SELLER = "ruled_for_seller", _("Platform ruled for the seller")
    FEE_DECLINED = "fee_declined", _("The buyer declined the repair fee")
    NOT_QUOTED = "not_quoted", _("The shop did not quote a repair fee in time")


class RejectionReason(models.TextChoices):
    """Why a seller refuses a request or fails the inspection of returned goods."""

    USED = "used", _("The goods were used or damaged after delivery")
    INCOMPLETE = "incomplete", _("Parts, tags or packaging are missing")
    OUTSIDE_POLICY = "outside_policy", _("Outside the shop's after-sales policy")
    NO_EVIDENCE = "no_evidence", _("The evidence does not show the problem")
    NOT_OUR_ITEM = "not_our_item", _("The returned item is not the one we sold")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    BUYER = "buyer", _("buyer")
    SELLER = "seller", _("seller")
    STAFF = "staff", _("platform")
    SYSTEM = "system", _("system")


# Who must act next in each open state (SPEC §4): their queue, their reminders, their
# notifications.
NEXT_ACTOR: dict[str, Role] = {
    State.SUBMITTED: Role.SELLER,
    State.NEGOTIATING: Role.BUYER,
    State.REJECTED: Role.BUYER,
    State.AWAITING_RETURN: Role.BUYER,
    State.RETURN_SHIPPED: Role.SELLER,
    State.INSPECTING: Role.SELLER,
    State.REPAIRING: Role.SELLER,
    State.REPLACEMENT_SHIPPED: Role.BUYER,
    State.REPAIR_SHIPPED: Role.BUYER,
    State.DISPUTED: Role.STAFF,
}


def states_waiting_for(role: Role) -> tuple[str, ...]:
    """The open states in which ``role`` must act next."""
    return tuple(state for state, actor in NEXT_ACTOR.items() if actor == role)


class Action(models.TextChoices):
    """Everything that can happen to a request, as the event log stores it.

    A value that names a transition of :class:`AfterSalesRequest` is that transition (who may
    take it is declared on it); the others are logged without moving the request. The label
    is how the timeline says it: "<who> <label>".
    """

    SUBMIT = "submit", _("filed the request")
    RESUBMIT = "resubmit", _("revised and resubmitted the request")
    WITHDRAW = "withdraw", _("withdrew the request")
    APPROVE = "approve", _("approved the request")
    PROPOSE = "propose", _("proposed another solution")
    REJECT = "reject", _("rejected the request")
    ACCEPT_PROPOSAL = "accept_proposal", _("accepted the proposal")
    DECLINE_PROPOSAL = "decline_proposal", _("declined the proposal")
    SHIP_RETURN = "ship_return", _("shipped the goods back")
    CONFIRM_RETURN_RECEIVED = (
        "confirm_return_received",
        _("confirmed receipt of the returned goods"),
    )
    REFUND_WITHOUT_RECEIPT = (
        "refund_without_receipt",
        _("refunded: the seller did not confirm receipt in time"),
    )
    PASS_INSPECTION = "pass_inspection", _("passed the inspection")
    FAIL_INSPECTION = "fail_inspection", _("failed the inspection")
    SHIP_REPLACEMENT = "ship_replacement", _("shipped the replacement")
    SHIP_REPAIRED = "ship_repaired", _("shipped the repaired item")
    CONFIRM_DELIVERY = "confirm_delivery", _("confirmed receipt")
    CLOSE_FOR_TIMEOUT = "close_for_timeout", _("closed the request: the deadline passed")
    CLOSE_UNQUOTED = (
        "close_unquoted",
        _("closed the request: the shop did not quote a repair fee in time"),
    )
    ESCALATE = "escalate", _("asked the platform to step in")
    ESCALATE_OVERDUE = (
        "escalate_overdue",
        _("handed the request to the platform: the seller's deadline passed"),
    )
    RULE = "rule", _("ruled on the dispute")
    # Faster resolution (issue 15): tracking, rules, fast refunds, shipping insurance.
    REFUND_ON_SIGN_FOR = "refund_on_sign_for", _("refunded: the return parcel was signed for")
    ESCALATE_UNDELIVERED = (
        "escalate_undelivered",
        _("handed the request to the platform: the returned goods never arrived"),
    )
    PARCEL_SIGNED_FOR = "parcel_signed_for", _("noted that the return parcel was signed for")
    FAST_REFUND = "fast_refund", _("refunded at once (fast refund), advanced by the platform")
    SETTLE_FAST_REFUND = (
        "settle_fast_refund",
        _("charged the shop the fast refund the platform advanced"),
    )
    RECOVER_FAST_REFUND = "recover_fast_refund", _("recovered the fast refund from the buyer")
    INSURANCE_CLAIM = "insurance_claim", _("paid the return-shipping insurance claim")
    # Logged on the request's timeline without moving it.
    ANSWER_DISPUTE = "answer_dispute", _("answered the dispute")
    REQUEST_EVIDENCE = "request_evidence", _("asked for more evidence")
    PROVIDE_EVIDENCE = "provide_evidence", _("provided more evidence")
    COMPLAIN = "complain", _("filed a complaint about the shop")
    INVESTIGATE_COMPLAINT = "investigate_complaint", _("started investigating the complaint")
    RESOLVE_COMPLAINT = "resolve_complaint", _("resolved the complaint")
    # Phone call backs (``support``): the number itself is never on the timeline.
    CALLBACK_REQUESTED = "callback_requested", _("asked the platform for a call back")
    CALLBACK_REACHED = "callback_reached", _("called back and spoke with them")
    CALLBACK_NO_ANSWER = "callback_no_answer", _("called back: nobody answered")
    CALLBACK_WRONG_NUMBER = "callback_wrong_number", _("called back: the number was wrong")
    # What the system notes when a dispute's deadline passes (``disputes.deadlines``).
    SELLER_MISSED_ANSWER = (
        "seller_missed_answer",
        _("noted that the seller did not answer the dispute in time"),
    )
    BUYER_MISSED_EVIDENCE = (
        "buyer_missed_evidence",
        _("noted that the buyer did not send the requested evidence in time"),
    )
    SELLER_MISSED_EVIDENCE = (
        "seller_missed_evidence",
        _("noted that the seller did not send the requested evidence in time"),
    )


class ShipmentPurpose(models.TextChoices):
    RETURN = "return", _("return to the seller")
    REPLACEMENT = "replacement", _("replacement to the buyer")
    REPAIRED = "repaired", _("repaired item to the buyer")


# --- the words of each kind ------------------------------------------------------------------


class Phrase(models.TextChoices):
    """What the pages say about the goods coming back, worded for a return (a repair has its
    own words in ``REPAIR_WORDS``)."""

    SEND_TO = "send_to", _("Send the goods to")
    SHIPPED = "shipped", _("I have shipped the goods")
    SELLER_PAYS_SHIPPING = (
        "seller_pays_shipping",
        _("The seller pays the return shipping: keep the receipt to claim it back."),
    )
    BUYER_PAYS_SHIPPING = (
        "buyer_pays_shipping",
        _("You pay the return shipping (no-reason return)."),
    )
    SHIPPING_FEE = "shipping_fee", _("Return shipping you paid (¥)")
    ADDRESS = "address", _("Return address")
    APPROVE_GOODS_BACK = "approve_goods_back", _("Approve: the buyer sends the goods back")


LABELS: dict[str, type[models.TextChoices]] = {
    "state": State,
    "action": Action,
    "purpose": ShipmentPurpose,
    "phrase": Phrase,
}

# A repair's goods go to the shop *for repair* (寄修), they are not returned (退货).
REPAIR_WORDS = {
    ("state", State.AWAITING_RETURN): _("Waiting for the buyer to send the item for repair"),
    ("state", State.RETURN_SHIPPED): _(
        "Waiting for the seller to confirm the item arrived for repair"
    ),
    ("state", State.INSPECTING): _("Seller checking the item sent for repair"),
    ("action", Action.SHIP_RETURN): _("sent the item for repair"),
    ("action", Action.CONFIRM_RETURN_RECEIVED): _("confirmed receipt of the item sent for repair"),
    ("purpose", ShipmentPurpose.RETURN): _("sent for repair"),
    ("phrase", Phrase.SEND_TO): _("Send the item for repair to"),
    ("phrase", Phrase.SHIPPED): _("I have sent it for repair"),
    ("phrase", Phrase.SELLER_PAYS_SHIPPING): _(
        "The seller pays the shipping to the repair point: keep the receipt to claim it back."
    ),
    ("phrase", Phrase.SHIPPING_FEE): _("Shipping you paid to send it for repair (¥)"),
    ("phrase", Phrase.ADDRESS): _("Repair address"),
    ("phrase", Phrase.APPROVE_GOODS_BACK): _("Approve: the buyer sends it for repair"),
}
# After the warranty the buyer pays: the seller's proposal is the quote of the repair fee.
PAID_REPAIR_WORDS = {
    ("state", State.SUBMITTED): _("Waiting for the seller to quote the repair fee"),
    ("state", State.NEGOTIATING): _("Waiting for the buyer to accept and pay the repair fee"),
    ("action", Action.PROPOSE): _("quoted a repair fee"),
    ("action", Action.ACCEPT_PROPOSAL): _("accepted and paid the repair fee"),
    ("action", Action.DECLINE_PROPOSAL): _("declined the repair fee"),
    ("phrase", Phrase.BUYER_PAYS_SHIPPING): _(
        "You pay the shipping, as for the repair itself (after the warranty)."
    ),
}

# What the system did when a deadline passed, where the action is one people take too: the
# timeline, the notifications and the e-mails say why it happened by itself. (The system's own
# actions, like ``CLOSE_FOR_TIMEOUT``, say so in their label already.)
AUTOMATIC_LABELS = {
    Action.APPROVE: _("approved automatically: the seller did not respond in time"),
    Action.PASS_INSPECTION: _(
        "counted the inspection as passed: the seller recorded no result in time"
    ),
    Action.CONFIRM_DELIVERY: _(
        "confirmed receipt automatically: the buyer did not confirm in time"
    ),
}


# What the system did for a shop's automation rule (issue 15): the timeline, the buyer's page and
# the notifications name the rule ("店铺已开启自动同意：未发货仅退款").
RULE_LABELS = {
    Action.APPROVE: _("agreed at once (the shop's automation rule: %(rule)s)"),
    Action.REFUND_ON_SIGN_FOR: _(
        "refunded as soon as the return parcel was signed for (the shop's automation rule: "
        "%(rule)s)"
    ),
    Action.CONFIRM_RETURN_RECEIVED: _(
        "confirmed receipt as soon as the return parcel was signed for (the shop's automation "
        "rule: %(rule)s)"
    ),
    Action.PASS_INSPECTION: _(
        "passed the inspection as soon as the return parcel was signed for (the shop's "
        "automation rule: %(rule)s)"
    ),
}


def worded(
    field: str,
    value: str,
    *,
    kind: str,
    paid_repair: bool = False,
    role: str = "",
    rule: str = "",
) -> str:
    """The label of a state, an action, a shipment's purpose or a phrase (``field``) in the
    words of a request of ``kind``: the one place that picks the wording. A repair is sent for
    repair, not returned; a paid repair's proposal is the shop's quote of the fee; an action the
    system took (``role``) when a deadline passed says why it happened by itself, and one a
    shop's automation ``rule`` took names the rule."""
    if not value:
        return ""
    key = (field, value)
    if field == "action" and rule and value in RULE_LABELS:
        return str(RULE_LABELS[value]) % {"rule": rule}
    if field == "action" and role == Role.SYSTEM and value in AUTOMATIC_LABELS:
        return str(AUTOMATIC_LABELS[value])
    if paid_repair and key in PAID_REPAIR_WORDS:
        return str(PAID_REPAIR_WORDS[key])
    if kind == Kind.REPAIR and key in REPAIR_WORDS:
        return str(REPAIR_WORDS[key])
    return str(LABELS[field](value).label)


class Carrier(models.TextChoices):
    SF = "sf", _("SF Express")
    JD = "jd", _("JD Logistics")
    EMS = "ems", _("China Post EMS")
    ZTO = "zto", _("ZTO Express")
    YTO = "yto", _("YTO Express")
    STO = "sto", _("STO Express")
    YUNDA = "yunda", _("Yunda Express")


class LabelledChoices:
    """A model mixin: ``get_<field>_display()`` looks the label up in a table built once per
    field, where Django's own rebuilds a hashable copy of every choice on each call (a queue
    page of 25 rows spent a third of its time there). Labels stay lazy, so each call still
    answers in the current language."""

    def _get_FIELD_display(self, field) -> str:
        value = getattr(self, field.attname)
        return force_str(_labels(field).get(value, value), strings_only=True)


@cache
def _labels(field) -> dict:
    return dict(field.flatchoices)
