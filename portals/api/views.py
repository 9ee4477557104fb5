"""The API's views: a shop's requests (list, one, every seller action) and the order import.

Each action finds the request through the shop-scoped selector (another shop's request is a
404), validates the body with the seller center's form and calls the service the seller
center's view calls; the service's refusal becomes a 409 (the request moved on, with its
current state), a 403 (not the shop's action) or a 400 (what was wrong).
"""

import json

from django import forms
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales import services
from aftersales.errors import AfterSalesError, StaleAction
from aftersales.forms import ApproveForm, MessageForm, ProposalForm, RefusalForm, TrackingForm
from aftersales.models import (
    AfterSalesRequest,
    Evidence,
    Kind,
    Message,
    RequestEvent,
    State,
)
from aftersales.selectors import requests_in_shops
from apikeys.models import Scope
from disputes import services as dispute_services
from disputes.forms import DisputeAnswerForm
from orders.importing import UnreadableFile, import_orders, read_orders

from . import serializers as s
from . import sync
from .errors import ApiError, from_service, invalid
from .idempotency import idempotent

ERRORS = {
    400: OpenApiResponse(s.Error, description="Invalid input or bad JSON."),
    401: OpenApiResponse(s.Error, description="No API key, or a wrong or revoked one."),
    403: OpenApiResponse(s.Error, description="The key lacks the scope."),
    404: OpenApiResponse(s.Error, description="No such request for this shop."),
    429: OpenApiResponse(s.Error, description="Too many requests: see `Retry-After`."),
}
ACTION_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(
        s.Error,
        description="`stale`: the request is not in a state for this action (any more); "
        "`error.current` is the request as it is now. Also `idempotency_in_progress`.",
    ),
    422: OpenApiResponse(
        s.Error, description="`idempotency_key_reused`: the key came with another body."
    ),
}
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any unique string (up to 255 characters). A repeat with the same key "
    "returns the first answer (header `Idempotent-Replayed: true`) and changes nothing; the "
    "same key with another body answers 422.",
)


def _shop_requests(request):
    return requests_in_shops([request.auth.shop_id])


def _summary(request, aftersales: AfterSalesRequest) -> dict:
    return s.RequestSummary(aftersales, context={"request": request}).data


def _detail(request, pk: int) -> dict:
    aftersales = get_object_or_404(
        _shop_requests(request).prefetch_related(
            Prefetch("events", RequestEvent.objects.select_related("actor")),
            Prefetch("messages", Message.objects.select_related("author")),
            "shipments",
            "proposals",
            "disputes",
        ),
        pk=pk,
    )
    aftersales.evidence_files = list(Evidence.objects.filter(request=aftersales).order_by("pk"))
    return s.RequestDetail(aftersales, context={"request": request}).data


# The columns a summary (``serializers.RequestSummary``) shows.
SUMMARY_COLUMNS = [
    *("id", "state", "kind", "reason", "quantity", "refund_amount", "due_at", "due_action"),
    *("close_reason", "created_at", "updated_at", "finished_at", "order__number"),
    *("order_item__title", "order_item__sku"),
    *("buyer__username", "buyer__first_name", "buyer__last_name"),
]


class ListFilters(forms.Form):
    state = forms.ChoiceField(choices=State.choices, required=False)
    kind = forms.ChoiceField(choices=Kind.choices, required=False)
    modified_since = forms.DateTimeField(required=False)
    modified_until = forms.DateTimeField(required=False)
    cursor = forms.CharField(required=False, max_length=200)
    limit = forms.IntegerField(required=False, min_value=1, max_value=200)

    def clean_cursor(self):
        cursor = self.cleaned_data["cursor"]
        if not cursor:
            return None
        try:
            return sync.decode(cursor)
        except sync.BadCursor:
            raise forms.ValidationError(_("This cursor is not one the API gave.")) from None


class RequestList(APIView):
    @extend_schema(
        operation_id="requests_list",
        summary="The shop's requests, oldest change first, for an incremental sync",
        description=(
            "Keyset pagination on (`updated_at`, `id`): follow `next_cursor` while `has_more`; "
            "keep the last `next_cursor` and ask with it later to get only what changed since. "
            "A row shows once its change is a few seconds old (`API_SYNC_SETTLE`, 10 s), so a "
            "change committing late is never skipped; a row that changes again comes again."
        ),
        parameters=[
            OpenApiParameter("state", str, enum=State.values, description="Only this state."),
            OpenApiParameter("kind", str, enum=Kind.values, description="Only this kind."),
            OpenApiParameter(
                "modified_since", str, description="ISO 8601 time: `updated_at` at or after."
            ),
            OpenApiParameter(
                "modified_until", str, description="ISO 8601 time: `updated_at` at or before."
            ),
            OpenApiParameter("cursor", str, description="A `next_cursor` from an earlier page."),
            OpenApiParameter("limit", int, description="Rows per page, 1–200 (default 50)."),
        ],
        responses={200: s.RequestPage, **ERRORS},
    )
    def get(self, request):
        filters = ListFilters(request.query_params)
        if not filters.is_valid():
            raise invalid(filters.errors)
        data = filters.cleaned_data
        # What a summary shows, and no more (the selector's joins serve the pages).
        requests = (
            _shop_requests(request)
            .select_related(None)
            .select_related("order", "order_item", "buyer")
            .only(*SUMMARY_COLUMNS)
        )
        if data["state"]:
            requests = requests.filter(state=data["state"])
        if data["kind"]:
            requests = requests.filter(kind=data["kind"])
        rows, more = sync.page(
            requests,
            after=data["cursor"],
            since=data["modified_since"],
            until=data["modified_until"],
            limit=data["limit"] or 50,
        )
        last = rows[-1] if rows else None
        cursor = (
            sync.encode(last.updated_at, last.pk)
            if last
            else request.query_params.get("cursor") or None
        )
        results = s.RequestSummary(rows, many=True, context={"request": request}).data
        return Response({"results": results, "next_cursor": cursor, "has_more": more})


class RequestDetail(APIView):
    @extend_schema(
        operation_id="requests_read",
        summary="One request: events, evidence links, shipments, proposals, messages",
        responses={200: s.RequestDetail, **ERRORS},
    )
    def get(self, request, pk: int):
        return Response(_detail(request, pk))


class Action(APIView):
    """A seller action on one request; subclasses say which form and which service."""

    form_class = None
    with_files = False

    def form(self, aftersales, data, files):
        return self.form_class(data)

    def run(self, aftersales, user, data, evidence):
        raise NotImplementedError

    @idempotent
    def post(self, request, pk: int):
        aftersales = get_object_or_404(_shop_requests(request), pk=pk)
        data = request.data
        if not isinstance(data, dict):
            raise ApiError(400, "bad_json", _("The body must be a JSON object."))
        form = self.form(aftersales, data, request.FILES) if self.form_class else None
        if form is not None and not form.is_valid():
            raise invalid(form.errors)
        cleaned = form.cleaned_data if form is not None else {}
        evidence = form.evidence() if self.with_files else []
        try:
            self.run(aftersales, request.user, cleaned, evidence)
        except AfterSalesError as error:
            fresh = get_object_or_404(_shop_requests(request), pk=pk)
            raise from_service(error, current=_summary(request, fresh)) from error
        if self.with_files:
            form.discard_kept()
        return Response(_detail(request, pk))


def action_schema(name: str, summary: str, body=None, *, files=False):
    request = None
    if body is not None:
        request = {"application/json": body}
        if files:
            request["multipart/form-data"] = body

    def post(view, http_request, pk: int):  # a function of its own for each action's schema
        return Action.post(view, http_request, pk)

    return extend_schema(
        operation_id=f"requests_{name}",
        summary=summary,
        request=request or s.Empty,
        parameters=[IDEMPOTENCY],
        responses={200: s.RequestDetail, **ACTION_ERRORS},
    )(post)


class Approve(Action):
    form_class = ApproveForm

    def form(self, aftersales, data, files):
        data = dict(data.items())
        if Kind(aftersales.kind).needs_goods_back and data.get("return_address") in (None, ""):
            default = aftersales.shop.default_return_address
            data["return_address"] = default.pk if default else None
        return ApproveForm(data, aftersales=aftersales)

    def run(self, aftersales, user, data, evidence):
        services.approve_request(
            request=aftersales, actor=user, return_address=data.get("return_address")
        )

    post = action_schema(
        "approve", "Approve as asked (with the return address when goods come back)", s.ApproveIn
    )


class Propose(Action):
    form_class = ProposalForm

    def run(self, aftersales, user, data, evidence):
        services.propose_solution(request=aftersales, actor=user, **data)

    post = action_schema("propose", "Propose another solution", s.ProposeIn)


class Refusal(Action):
    form_class = RefusalForm
    with_files = True
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    photo_required = False

    def form(self, aftersales, data, files):
        return RefusalForm(data, files, owner=self.request.user, photo_required=self.photo_required)


class Reject(Refusal):
    def run(self, aftersales, user, data, evidence):
        services.reject_request(
            request=aftersales,
            actor=user,
            reason=data["reason"],
            explanation=data["explanation"],
            files=evidence,
        )

    post = action_schema("reject", "Reject with a reason", s.RefusalIn, files=True)


class FailInspection(Refusal):
    photo_required = True

    def run(self, aftersales, user, data, evidence):
        services.fail_inspection(
            request=aftersales,
            actor=user,
            reason=data["reason"],
            explanation=data["explanation"],
            files=evidence,
        )

    post = action_schema(
        "fail_inspection",
        "Fail the inspection (a reason and at least one photo: multipart/form-data)",
        s.RefusalIn,
        files=True,
    )


class ConfirmReceipt(Action):
    def run(self, aftersales, user, data, evidence):
        services.confirm_return_received(request=aftersales, actor=user)

    post = action_schema("confirm_receipt", "Confirm the returned goods arrived")


class PassInspection(Action):
    def run(self, aftersales, user, data, evidence):
        services.pass_inspection(request=aftersales, actor=user)

    post = action_schema("pass_inspection", "Pass the inspection")


class Ship(Action):
    form_class = TrackingForm

    def run(self, aftersales, user, data, evidence):
        service = (
            services.ship_replacement
            if aftersales.kind == Kind.EXCHANGE
            else services.ship_repaired
        )
        service(request=aftersales, actor=user, **data)

    post = action_schema(
        "ship", "Ship the replacement (exchange) or the repaired item (repair)", s.TrackingIn
    )


class PostMessage(Action):
    form_class = MessageForm
    with_files = True
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def form(self, aftersales, data, files):
        return MessageForm(data, files, owner=self.request.user)

    def run(self, aftersales, user, data, evidence):
        services.post_message(request=aftersales, actor=user, body=data["body"], files=evidence)

    post = action_schema("message", "Write to the buyer", s.MessageIn, files=True)


class AnswerDispute(Action):
    form_class = DisputeAnswerForm
    with_files = True
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def form(self, aftersales, data, files):
        return DisputeAnswerForm(data, files, owner=self.request.user)

    def run(self, aftersales, user, data, evidence):
        dispute = aftersales.disputes.last()
        if dispute is None:
            raise StaleAction(_("This request has no dispute to answer."))
        dispute_services.answer_dispute(
            dispute=dispute, actor=user, statement=data["statement"], files=evidence
        )

    post = action_schema(
        "answer_dispute",
        "Answer the dispute (商家举证) for the platform",
        s.DisputeAnswerIn,
        files=True,
    )


# --- the order system ----------------------------------------------------------------------


class JsonLinesParser(JSONParser):
    """``application/x-ndjson``: one order per line, as ``import_orders`` reads a file."""

    media_type = "application/x-ndjson"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return stream.read().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ApiError(400, "bad_json", _("The body is not UTF-8 text.")) from error


class ImportOrders(APIView):
    """The marketplace's order system feeds its orders in (SPEC §2), with its platform key."""

    required_scope = Scope.ORDERS_IMPORT
    parser_classes = [JSONParser, JsonLinesParser]

    @extend_schema(
        operation_id="orders_import",
        summary="Import orders from the order system (platform key, scope `orders:import`)",
        description=(
            "A JSON array of orders (or one order), or JSON lines (`application/x-ndjson`). "
            "Each order is checked and written whole or not at all, idempotent by order "
            "number, exactly as `./manage.py import_orders` does; the answer has one outcome "
            "per order, refused ones with the reasons."
        ),
        request={
            "application/json": s.OrderIn(many=True),
            "application/x-ndjson": {"type": "string"},
        },
        parameters=[IDEMPOTENCY],
        responses={200: s.ImportReport, **{k: v for k, v in ACTION_ERRORS.items() if k != 404}},
    )
    @idempotent
    def post(self, request):
        data = request.data
        if isinstance(data, str):
            text = data
        else:
            orders = data if isinstance(data, list) else [data]
            text = "\n".join(json.dumps(order) for order in orders)
        try:
            outcomes = import_orders(read_orders(text, "jsonl"))
        except UnreadableFile as error:
            raise ApiError(400, "invalid", str(error)) from error
        counts = dict.fromkeys(("created", "updated", "unchanged", "refused"), 0)
        for outcome in outcomes:
            counts[outcome.status] += 1
        report = [
            {"line": o.line, "number": o.number, "status": o.status, "errors": o.errors}
            for o in outcomes
        ]
        return Response({"outcomes": report, "counts": counts})
