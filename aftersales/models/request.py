"""The after-sales request and its state machine (SPEC §4).

``state`` is a protected django-fsm field: the ``@transition`` methods below are the only way it
changes, and they only change the row. Each declares who may take it (``permission=``, the
roles allowed); its ``conditions=`` are pure predicates. Locking, the actor check, the event
log, deadlines, money and notifications live in ``aftersales.services``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, FSMField, FSMModelMixin, has_transition_perm, transition

from orders.models import Order, OrderItem, Shop

from .vocabulary import (
    OPEN_STATES,
    TERMINAL_STATES,
    Action,
    CloseReason,
    Kind,
    LabelledChoices,
    Reason,
    Replacement,
    Role,
    State,
    worded,
)

ZERO = Decimal("0.00")

# The buyer may withdraw any open request, except while the platform is deciding it.
WITHDRAWABLE_STATES = tuple(s for s in State if s not in (*TERMINAL_STATES, State.DISPUTED))
# Goods the seller holds past a deadline: the platform steps in.
SELLER_HOLDS_GOODS_STATES = (State.RETURN_SHIPPED, State.INSPECTING, State.REPAIRING)


class Allowed(frozenset):
    """A transition's ``permission=``: the roles that may take it.

    django-fsm calls it with ``(request, who)``; here ``who`` is the :class:`Role` the caller
    acts in (the services resolve the actor's role once, the pages know theirs).
    """

    def __call__(self, request: "AfterSalesRequest", role: Role | None) -> bool:
        return role in self


def by(*roles: Role) -> Allowed:
    return Allowed(roles)


def seller_pays_return_shipping(reason: str, shop: Shop, *, paid_repair: bool = False) -> bool:
    """Who pays return postage (SPEC §5): the seller for seller-responsible reasons; the buyer
    for no-reason returns, unless the shop's policy covers those too, and for a repair after
    the warranty (which the buyer pays for as a whole)."""
    if paid_repair:
        return False
    return not Reason(reason).is_no_reason or shop.pays_no_reason_return_shipping


class AfterSalesRequest(LabelledChoices, FSMModelMixin, models.Model):
    order_item = models.ForeignKey(
        OrderItem,
        verbose_name=_("order item"),
        on_delete=models.PROTECT,
        related_name="aftersales_requests",
    )
    # Copied from the order so that the buyer's and the seller's queues are one indexed query.
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="aftersales_requests"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="aftersales_requests",
    )
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.PROTECT, related_name="aftersales_requests"
    )

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    refund_amount = models.DecimalField(
        _("refund amount"),
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text=_(
            "What the buyer asks back; becomes the agreed amount when a proposal is accepted."
        ),
    )
    description = models.TextField(_("description"), max_length=2000)
    # An exchange names what it wants instead, and where the replacement goes (the order's
    # shipping address unless the buyer changed it when filing).
    replacement = models.CharField(
        _("replacement wanted"), max_length=10, choices=Replacement.choices, blank=True
    )
    replacement_details = models.CharField(_("size, colour or variant"), max_length=200, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=255, blank=True)

    state = FSMField(_("state"), default=State.SUBMITTED, choices=State.choices, protected=True)
    close_reason = models.CharField(
        _("close reason"), max_length=20, choices=CloseReason.choices, blank=True
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # What the system does when ``due_at`` passes: one of the system's transitions.
    due_action = models.CharField(_("when due"), max_length=30, choices=Action.choices, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    return_address = models.TextField(_("return address"), blank=True)
    repair_fee = models.DecimalField(
        _("repair fee"),
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        help_text=_("Zero for a repair under warranty; otherwise the fee the buyer accepted."),
    )
    # A repair filed after the warranty ended (``policy.out_of_warranty``): the buyer pays the
    # fee the shop quotes, if they accept it (SPEC §5).
    out_of_warranty = models.BooleanField(_("after the warranty"), default=False)

    # 极速退款: when the platform refunded the buyer ahead of the goods (issue 15).
    fast_refund_at = models.DateTimeField(_("fast refund advanced"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The seller's first event on the request (a transition, or an answer to the platform):
    # the shop's "first response" score reads it instead of searching the event log.
    first_response_at = models.DateTimeField(_("seller's first response"), null=True, blank=True)

    class Meta:
        verbose_name = _("after-sales request")
        verbose_name_plural = _("after-sales requests")
        ordering = ["-created_at", "-pk"]
        # Each list reads one of these in its own order, so a page stops after its rows:
        indexes = [
            # the buyer's 售后列表 (``requests_for_buyer``), newest first
            models.Index(fields=["buyer", "-created_at", "-id"], name="request_buyer_list"),
            # the seller's queue of one state (and of all: sorted from this index alone), and
            # the dashboard's counters
            models.Index(
                fields=["shop", "state", "due_at", "-created_at", "-id"],
                name="request_seller_queue_state",
            ),
            # the seller's queue as it opens (in progress): by deadline, none last, newest
            models.Index(
                fields=["shop", "due_at", "-created_at", "-id"],
                condition=Q(state__in=OPEN_STATES),
                name="request_seller_queue_open",
            ),
            # the deadline sweep
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="request_due"),
            # when a shop's requests last changed: the key of the seller center's cached queue
            models.Index(fields=["shop", "-updated_at"], name="request_shop_changed"),
        ]
        constraints = [
            # One open request per order item (SPEC §5), enforced by the database.
            models.UniqueConstraint(
                fields=["order_item"],
                condition=~Q(state__in=TERMINAL_STATES),
                name="one_open_request_per_item",
            ),
            models.CheckConstraint(condition=Q(refund_amount__gte=0), name="refund_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="request_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.order_item}"

    # --- derived facts -------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    @property
    def accepts_messages(self) -> bool:
        """The conversation stays open while the request is."""
        return self.is_open

    @property
    def seller_pays_return_shipping(self) -> bool:
        return seller_pays_return_shipping(
            self.reason, self.shop, paid_repair=self.buyer_pays_repair()
        )

    @property
    def state_label(self) -> str:
        """The state in the words of the request's kind (a repair is sent for repair)."""
        return self.words("state", self.state)

    def words(self, field: str, value: str, *, role: str = "", rule: str = "") -> str:
        """A state's, action's or shipment purpose's label for this request's kind (and, for an
        action, for who took it and the shop's rule that did: see :func:`worded`)."""
        return worded(
            field,
            value,
            kind=self.kind,
            paid_repair=self.buyer_pays_repair(),
            role=role,
            rule=rule,
        )

    # --- who may do what now: the pages and the services ask here -------------------------

    def roles_for(self, action: str) -> frozenset[Role]:
        """The roles declared on the transition ``action``, whatever the current state."""
        meta = getattr(self, action)._django_fsm
        return next(iter(meta.transitions.values())).permission

    def allows(self, action: str, role: Role | None) -> bool:
        """Whether ``role`` may take ``action`` now: it is declared for the role, leaves the
        current state, and its conditions hold."""
        return has_transition_perm(getattr(self, action), role)

    def available_actions(self, role: Role | None) -> set[str]:
        return {t.name for t in self.get_available_user_state_transitions(role)}

    # --- conditions: pure predicates on the row ------------------------------------------

    def is_refund_only(self) -> bool:
        return self.kind == Kind.REFUND_ONLY

    def is_return_refund(self) -> bool:
        return self.kind == Kind.RETURN_REFUND

    def is_exchange(self) -> bool:
        return self.kind == Kind.EXCHANGE

    def is_repair(self) -> bool:
        return self.kind == Kind.REPAIR

    def is_not_exchange(self) -> bool:
        return self.kind != Kind.EXCHANGE

    def is_exchange_or_repair(self) -> bool:
        return self.kind in (Kind.EXCHANGE, Kind.REPAIR)

    def is_not_fast_refunded(self) -> bool:
        return self.fast_refund_at is None

    def is_fast_refunded(self) -> bool:
        """极速退款: the platform has already paid the buyer the refund (issue 15)."""
        return self.fast_refund_at is not None

    def buyer_pays_repair(self) -> bool:
        """A repair after the warranty: the shop quotes a fee, the buyer pays it (SPEC §5)."""
        return self.kind == Kind.REPAIR and self.out_of_warranty

    # --- targets decided by the row -----------------------------------------------------

    def _approved_state(self, **kwargs) -> str:
        return State.AWAITING_RETURN if Kind(self.kind).needs_goods_back else State.REFUNDED

    def _inspection_passed_state(self) -> str:
        return State.REPAIRING if self.kind == Kind.REPAIR else State.REFUNDED

    def _failed_inspection_state(self) -> str:
        # After a fast refund the buyer already has the money: the platform decides.
        return State.DISPUTED if self.is_fast_refunded() else State.REJECTED

    def _delivered_state(self) -> str:
        return State.REPAIRED if self.kind == Kind.REPAIR else State.EXCHANGED

    def _ruled_state(self, *, outcome: str, **kwargs) -> str:
        return outcome

    def _declined_state(self) -> str:
        # A declined repair fee ends a paid repair: there is nothing else to ask the shop for.
        return State.CLOSED if self.buyer_pays_repair() else State.REJECTED

    # --- transitions --------------------------------------------------------------------

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=GET_STATE(_approved_state, states=[State.REFUNDED, State.AWAITING_RETURN]),
        permission=by(Role.SELLER, Role.SYSTEM),
    )
    def approve(self, *, return_address: str = "") -> None:
        self.return_address = return_address

    @transition(
        field=state, source=State.SUBMITTED, target=State.NEGOTIATING, permission=by(Role.SELLER)
    )
    def propose(self) -> None:
        """The seller offers another solution; the proposal itself is its own row."""

    @transition(
        field=state, source=State.SUBMITTED, target=State.REJECTED, permission=by(Role.SELLER)
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=State.NEGOTIATING,
        target=GET_STATE(_approved_state, states=[State.REFUNDED, State.AWAITING_RETURN]),
        permission=by(Role.BUYER),
    )
    def accept_proposal(
        self,
        *,
        kind: str,
        refund_amount: Decimal,
        return_address: str = "",
        repair_fee: Decimal = ZERO,
    ) -> None:
        self.kind = kind
        self.refund_amount = refund_amount
        self.return_address = return_address
        self.repair_fee = repair_fee

    @transition(
        field=state,
        source=State.NEGOTIATING,
        target=GET_STATE(_declined_state, states=[State.REJECTED, State.CLOSED]),
        permission=by(Role.BUYER),
    )
    def decline_proposal(self) -> None:
        if self.buyer_pays_repair():
            self.close_reason = CloseReason.FEE_DECLINED

    @transition(
        field=state, source=State.REJECTED, target=State.SUBMITTED, permission=by(Role.BUYER)
    )
    def resubmit(
        self,
        *,
        kind: str,
        reason: str,
        quantity: int,
        refund_amount: Decimal,
        description: str,
        out_of_warranty: bool = False,
        replacement: str = "",
        replacement_details: str = "",
        delivery_address: str = "",
    ) -> None:
        self.out_of_warranty = out_of_warranty
        self.kind = kind
        self.reason = reason
        self.quantity = quantity
        self.refund_amount = refund_amount
        self.description = description
        self.replacement = replacement
        self.replacement_details = replacement_details
        self.delivery_address = delivery_address

    @transition(
        field=state,
        source=State.AWAITING_RETURN,
        target=State.RETURN_SHIPPED,
        permission=by(Role.BUYER),
    )
    def ship_return(self) -> None:
        pass

    @transition(
        field=state,
        source=State.RETURN_SHIPPED,
        target=State.INSPECTING,
        # The system too: a shop's rule that passes the inspection once the parcel is signed
        # for confirms receipt first (issue 15).
        permission=by(Role.SELLER, Role.SYSTEM),
    )
    def confirm_return_received(self) -> None:
        pass

    @transition(
        field=state,
        source=State.RETURN_SHIPPED,
        target=State.REFUNDED,
        conditions=[is_return_refund],
        permission=by(Role.SYSTEM),
    )
    def refund_without_receipt(self) -> None:
        """The seller let the receipt deadline pass: the buyer is refunded (SPEC §4)."""

    @transition(
        field=state,
        source=State.RETURN_SHIPPED,
        target=State.REFUNDED,
        conditions=[is_return_refund],
        permission=by(Role.SYSTEM),
    )
    def refund_on_sign_for(self) -> None:
        """签收后自动退款: the shop's rule refunds the buyer once the return parcel is signed
        for (issue 15)."""

    @transition(
        field=state,
        source=State.INSPECTING,
        target=GET_STATE(_inspection_passed_state, states=[State.REFUNDED, State.REPAIRING]),
        conditions=[is_not_exchange],
        permission=by(Role.SELLER, Role.SYSTEM),
    )
    def pass_inspection(self) -> None:
        pass

    @transition(
        field=state,
        source=State.INSPECTING,
        target=GET_STATE(_failed_inspection_state, states=[State.REJECTED, State.DISPUTED]),
        permission=by(Role.SELLER),
    )
    def fail_inspection(self) -> None:
        """Back to the buyer; after a fast refund, to the platform."""

    @transition(
        field=state,
        source=State.INSPECTING,
        target=State.REPLACEMENT_SHIPPED,
        conditions=[is_exchange],
        permission=by(Role.SELLER),
    )
    def ship_replacement(self) -> None:
        pass

    @transition(
        field=state,
        source=State.REPAIRING,
        target=State.REPAIR_SHIPPED,
        permission=by(Role.SELLER),
    )
    def ship_repaired(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.REPLACEMENT_SHIPPED, State.REPAIR_SHIPPED],
        target=GET_STATE(_delivered_state, states=[State.EXCHANGED, State.REPAIRED]),
        permission=by(Role.BUYER, Role.SYSTEM),
    )
    def confirm_delivery(self) -> None:
        pass

    @transition(
        field=state, source=State.REJECTED, target=State.DISPUTED, permission=by(Role.BUYER)
    )
    def escalate(self) -> None:
        """The buyer asks the platform to step in after a rejection, a declined proposal or a
        failed inspection (all of which leave the request ``rejected``)."""

    @transition(
        field=state,
        source=SELLER_HOLDS_GOODS_STATES,
        target=State.DISPUTED,
        permission=by(Role.SYSTEM),
    )
    def escalate_overdue(self) -> None:
        """The seller let a deadline pass while holding the buyer's goods."""

    @transition(
        field=state,
        source=State.RETURN_SHIPPED,
        target=State.DISPUTED,
        conditions=[is_fast_refunded],
        permission=by(Role.SYSTEM),
    )
    def escalate_undelivered(self) -> None:
        """A fast-refunded parcel was not signed for in time: the platform, which paid, steps
        in (issue 15)."""

    @transition(
        field=state,
        source=State.DISPUTED,
        target=GET_STATE(
            _ruled_state, states=[State.REFUNDED, State.AWAITING_RETURN, State.CLOSED]
        ),
        permission=by(Role.STAFF),
    )
    def rule(self, *, outcome: str, refund_amount: Decimal, return_address: str = "") -> None:
        """The platform's ruling: refund now, return the goods and then refund, or close."""
        if outcome == State.CLOSED:
            self.close_reason = CloseReason.RULED_FOR_SELLER
            return
        self.refund_amount = refund_amount
        if outcome == State.AWAITING_RETURN:
            self.kind = Kind.RETURN_REFUND
            self.return_address = return_address

    @transition(
        field=state,
        source=WITHDRAWABLE_STATES,
        target=State.CLOSED,
        # The buyer already holds the platform's advance: a withdrawal would leave it unpaid
        # for, so a fast-refunded request runs its course (the shop or the platform settles).
        conditions=[is_not_fast_refunded],
        permission=by(Role.BUYER),
    )
    def withdraw(self) -> None:
        self.close_reason = CloseReason.WITHDRAWN

    @transition(
        field=state,
        source=[State.NEGOTIATING, State.REJECTED, State.AWAITING_RETURN],
        target=State.CLOSED,
        permission=by(Role.SYSTEM),
    )
    def close_for_timeout(self) -> None:
        self.close_reason = CloseReason.TIMED_OUT

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.CLOSED,
        conditions=[buyer_pays_repair],
        permission=by(Role.SYSTEM),
    )
    def close_unquoted(self) -> None:
        """The shop let the deadline to quote a repair fee pass: nothing is owed, the buyer is
        free to have it repaired elsewhere."""
        self.close_reason = CloseReason.NOT_QUOTED
