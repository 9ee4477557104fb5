"""What the API answers and accepts, as the schema documents it.

Output serializers read the rows the selectors returned. Input serializers only describe the
bodies for the schema: the views validate input with the seller center's own forms
(``aftersales.forms``), so a rule checked there is checked here the same way.
"""

from django.urls import reverse
from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftersales.models import (
    Action,
    Carrier,
    Evidence,
    Kind,
    Proposal,
    Reason,
    RejectionReason,
    Role,
    Shipment,
    State,
)
from aftersales.templatetags.aftersales import display_name
from disputes.models import Dispute
from orders.models import Order


def described(choices, heading: str) -> str:
    """A choice list for the schema: each value with its English and Chinese names."""
    lines = [heading, ""]
    for value, label in choices.choices:
        with translation.override("en"):
            english = str(label)
        with translation.override("zh-hans"):
            chinese = str(label)
        lines.append(f"- `{value}`: {english} ({chinese})")
    return "\n".join(lines)


def choice(choices, heading: str, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices.choices, help_text=described(choices, heading), **kwargs
    )


def absolute(context: dict, name: str, *args) -> str:
    return context["request"].build_absolute_uri(reverse(name, args=args))


class RequestSummary(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="This request in the API.")
    state = choice(State, "Where the request stands (状态).")
    state_label = serializers.CharField(
        source="get_state_display", help_text="The state in the request's language."
    )
    kind = choice(Kind, "What the buyer asks for.")
    reason = choice(Reason, "The buyer's reason.")
    quantity = serializers.IntegerField()
    refund_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Yuan (¥), asked or agreed."
    )
    order_number = serializers.CharField(source="order.number")
    item_title = serializers.CharField(source="order_item.title")
    item_sku = serializers.CharField(source="order_item.sku")
    buyer = serializers.SerializerMethodField(help_text="The buyer's name as the shop sees it.")
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the system acts if nobody does (see `due_action`)."
    )
    due_action = serializers.CharField(
        help_text="What the system does at `due_at` (an action name), or empty."
    )
    close_reason = serializers.CharField(help_text="Why a closed request was closed, or empty.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(
        help_text="Last change; the list's `modified_since` / `modified_until` and cursor."
    )
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, obj) -> str:
        # The list's URL plus the id (``requests/<id>/``), built once per answer, not per row.
        if "requests_url" not in self.context:
            self.context["requests_url"] = absolute(self.context, "api:requests")
        return f"{self.context['requests_url']}{obj.pk}/"

    def get_buyer(self, obj) -> str:
        return display_name(obj.buyer)


class Event(serializers.Serializer):
    id = serializers.IntegerField()
    action = choice(Action, "What happened.")
    action_label = serializers.CharField(source="get_action_display")
    actor = serializers.SerializerMethodField(
        help_text="Who: a person's name, or an API key's name followed by “(API)”."
    )
    actor_role = choice(Role, "In which role.")
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField(help_text="A refusal's reason (see `reject`), or empty.")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_actor(self, obj) -> str | None:
        return display_name(obj.actor) if obj.actor else None


class EvidenceLink(serializers.Serializer):
    id = serializers.IntegerField()
    media_type = serializers.ChoiceField(choices=Evidence.MediaType.choices)
    content_type = serializers.CharField()
    uploader_role = serializers.ChoiceField(choices=Role.choices)
    event = serializers.IntegerField(source="event_id", allow_null=True)
    message = serializers.IntegerField(source="message_id", allow_null=True)
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(
        help_text="The file; send the same `Authorization: Bearer` header to fetch it."
    )
    thumbnail_url = serializers.SerializerMethodField(allow_null=True)

    def get_url(self, obj) -> str:
        return absolute(self.context, "evidence", obj.pk)

    def get_thumbnail_url(self, obj) -> str | None:
        return absolute(self.context, "evidence_thumb", obj.pk) if obj.thumbnail else None


class ShipmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=Shipment.Purpose.choices)
    carrier = serializers.ChoiceField(choices=Carrier.choices)
    tracking_number = serializers.CharField()
    shipping_fee = serializers.DecimalField(max_digits=8, decimal_places=2)
    shipped_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)


class ProposalOut(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    refund_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    compensation_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    repair_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField()
    status = serializers.ChoiceField(choices=Proposal.Status.choices)
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


class MessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.SerializerMethodField()
    author_role = serializers.ChoiceField(choices=Role.choices)
    body = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_author(self, obj) -> str:
        return display_name(obj.author)


class DisputeOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Dispute.Status.choices)
    reason = serializers.ChoiceField(choices=Dispute.Reason.choices)
    buyer_statement = serializers.CharField()
    seller_statement = serializers.CharField()
    opened_at = serializers.DateTimeField()
    seller_answer_due_at = serializers.DateTimeField(allow_null=True)
    seller_answered_at = serializers.DateTimeField(allow_null=True)
    waiting_for_seller = serializers.BooleanField(
        help_text="True while the shop may still answer (`answer_dispute`)."
    )


SELLER_ACTIONS = [
    "approve",
    "propose",
    "reject",
    "confirm_return_received",
    "pass_inspection",
    "fail_inspection",
    "ship_replacement",
    "ship_repaired",
]


class RequestDetail(RequestSummary):
    description = serializers.CharField()
    return_address = serializers.CharField(help_text="Where the buyer sends the goods, once set.")
    repair_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    available_actions = serializers.SerializerMethodField(
        help_text="The shop's actions the request allows now (the action endpoints below; "
        "`ship_replacement` and `ship_repaired` are both `ship`)."
    )
    accepts_messages = serializers.BooleanField(help_text="Messages can be posted now.")
    events = Event(many=True, help_text="The event log, oldest first.")
    evidence = EvidenceLink(many=True, source="evidence_files")
    shipments = ShipmentOut(many=True, source="shipments.all")
    proposals = ProposalOut(many=True, source="proposals.all")
    messages = MessageOut(many=True, source="messages.all")
    disputes = DisputeOut(many=True, source="disputes.all")

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(SELLER_ACTIONS)))
    def get_available_actions(self, obj) -> list[str]:
        available = obj.available_actions(Role.SELLER)
        return [action for action in SELLER_ACTIONS if action in available]


class RequestPage(serializers.Serializer):
    results = RequestSummary(many=True)
    next_cursor = serializers.CharField(
        allow_null=True,
        help_text="Give it as `cursor` for the rows after these. Keep the last one you got: "
        "asking with it later returns only what changed since.",
    )
    has_more = serializers.BooleanField(help_text="More rows are there now.")


# --- error bodies --------------------------------------------------------------------------


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable, for programs: `invalid`, `bad_json`, `unauthenticated`, `forbidden`, "
        "`not_allowed`, `not_found`, `method_not_allowed`, `unsupported_media_type`, `stale`, "
        "`idempotency_key_reused`, `idempotency_in_progress`, `throttled`."
    )
    message = serializers.CharField(help_text="For people, in the `Accept-Language` language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per input field, what is wrong (`__all__`: the input as a whole).",
    )
    current = RequestSummary(required=False, help_text="On 409 `stale`: the request as it is now.")


class Error(serializers.Serializer):
    error = ErrorDetail()


# --- request bodies (documentation; the forms validate) -----------------------------------


class ApproveIn(serializers.Serializer):
    return_address = serializers.IntegerField(
        required=False,
        help_text="Id of one of the shop's return addresses, when the goods come back "
        "(return, exchange, repair); the shop's default when omitted. Ignored for refund-only.",
    )


class ProposeIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Kind.choices,
        help_text="`refund_only`: partial refund or compensation, the buyer keeps the goods; "
        "`return_refund`: refund after the goods come back; `exchange`; `repair`.",
    )
    refund_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    compensation_amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    repair_fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text="Only for a paid repair."
    )
    note = serializers.CharField(max_length=2000, help_text="The proposal, for the buyer.")


class RefusalIn(serializers.Serializer):
    reason = choice(RejectionReason, "Why the shop refuses.")
    explanation = serializers.CharField(max_length=2000, help_text="For the buyer.")
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Photos (and one video) as evidence; send the body as multipart/form-data.",
    )


class TrackingIn(serializers.Serializer):
    carrier = serializers.ChoiceField(choices=Carrier.choices)
    tracking_number = serializers.CharField(
        max_length=40, help_text="Checked against the carrier's number format."
    )


class MessageIn(serializers.Serializer):
    body = serializers.CharField(max_length=2000)
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="At most one photo; send the body as multipart/form-data.",
    )


class DisputeAnswerIn(serializers.Serializer):
    statement = serializers.CharField(
        max_length=4000, help_text="The shop's side, for the platform."
    )
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Counter-evidence."
    )


class Empty(serializers.Serializer):
    pass


# --- order import --------------------------------------------------------------------------


class OrderItemIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    sku = serializers.CharField(max_length=200, required=False)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    quantity = serializers.IntegerField(min_value=1)
    amount_paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipped_at = serializers.DateTimeField(required=False, allow_null=True)
    delivered_at = serializers.DateTimeField(required=False, allow_null=True)


class OrderIn(serializers.Serializer):
    number = serializers.CharField(max_length=32)
    buyer = serializers.CharField(help_text="The buyer's user name on the platform.")
    shop = serializers.IntegerField(help_text="The shop's id.")
    payment_method = serializers.CharField()
    shipping_address = serializers.CharField(required=False)
    paid_at = serializers.DateTimeField()
    region = serializers.ChoiceField(
        choices=Order.Region.choices,
        required=False,
        allow_blank=True,
        help_text="The buyer's region: what a return-shipping insurance claim pays.",
    )
    return_insurance = serializers.ChoiceField(
        choices=Order.Insurance.choices,
        required=False,
        allow_blank=True,
        help_text="退货运费险: bought by the buyer, or shop_gift (退货宝); empty for none.",
    )
    items = OrderItemIn(many=True)


class ImportOutcome(serializers.Serializer):
    line = serializers.IntegerField(help_text="The order's line (JSON lines) or position (array).")
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "refused"])
    errors = serializers.ListField(child=serializers.CharField())


class ImportReport(serializers.Serializer):
    outcomes = ImportOutcome(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())
