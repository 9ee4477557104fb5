"""Shops' automation rules (issue 15): what a rule may be, what it matches, and how the system
applies it right after a submission or a sign-for, through the same services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales import rules, services
from aftersales.errors import InvalidInput
from aftersales.models import (
    Action,
    AfterSalesRequest,
    AutomationRule,
    BuyerStanding,
    Kind,
    LedgerEntry,
    Reason,
    RequestEvent,
    Role,
    Shipment,
    State,
    TrustLevel,
)
from aftersales.services import automation
from orders.models import ReturnAddress
from tests.aftersales.factories import TRACKING, file_request
from tests.orders.factories import (
    OrderItemFactory,
    ReturnAddressFactory,
    ShopFactory,
    UserFactory,
)

Do = AutomationRule.Do


def a_rule(shop, **fields) -> AutomationRule:
    fields.setdefault("name", "未发货仅退款")
    fields.setdefault("action", Do.APPROVE_REFUND_ONLY)
    rule = AutomationRule(shop=shop, **fields)
    return services_save(rule)


def services_save(rule: AutomationRule) -> AutomationRule:
    return automation.save_rule(rule=rule, actor=None)


def refund_only(item, **fields):
    """A refund-only request with a reason that applies to the item as it stands."""
    fields.setdefault(
        "reason", Reason.CHANGED_MIND if item.shipped_at is None else Reason.NOT_RECEIVED
    )
    return file_request(item, kind=Kind.REFUND_ONLY, **fields)


def unshipped(buyer, shop, **fields):
    return OrderItemFactory(order__buyer=buyer, order__shop=shop, not_shipped=True, **fields)


# --- what a rule may be -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({}, None, "at least one condition"),
        ({"amount_at_least": Decimal("50"), "amount_up_to": Decimal("20")}, "amount_up_to",
         "Contradictory amounts"),
        ({"amount_up_to": Decimal("0")}, "amount_up_to", "above ¥0.00"),
        ({"amount_at_least": Decimal("-5")}, "amount_at_least", "above ¥0.00"),
        ({"kinds": [Kind.RETURN_REFUND]}, "kinds", "only acts on"),
        ({"kinds": ["teleport"]}, "kinds", "Unknown kind"),
        ({"reasons": ["bored"]}, "reasons", "Unknown reason"),
        ({"order_shipped": False, "days_since_delivery_up_to": 3}, "days_since_delivery_up_to",
         "never delivered"),
        ({"kinds": [Kind.REFUND_ONLY, Kind.EXCHANGE], "action": Do.REFUND_ON_SIGN_FOR}, "kinds",
         "only acts on"),
        ({"kinds": [Kind.EXCHANGE], "action": Do.PASS_ON_SIGN_FOR}, "kinds", "only acts on"),
        ({"reasons": [Reason.CHANGED_MIND], "action": Do.APPROVE_RETURN}, "return_address",
         "return address"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_a_clear_error(shop, fields, field, words):
    fields.setdefault("action", Do.APPROVE_REFUND_ONLY)
    rule = AutomationRule(shop=shop, name="r", **fields)
    errors = rules.rule_errors(rule)
    assert field in errors
    assert any(words in str(message) for message in errors[field])
    with pytest.raises(InvalidInput):
        services_save(rule)
    assert not AutomationRule.objects.exists()


def test_approving_a_return_needs_a_return_address_of_the_shops(shop):
    other = ReturnAddressFactory(shop=ShopFactory(), is_default=False)
    repair_point = ReturnAddressFactory(
        shop=shop, is_default=False, purpose=ReturnAddress.Purpose.REPAIR
    )
    for address in (other, repair_point):
        rule = AutomationRule(
            shop=shop, name="r", action=Do.APPROVE_RETURN, kinds=[Kind.RETURN_REFUND],
            return_address=address,
        )  # fmt: skip
        assert "return_address" in rules.rule_errors(rule)
    rule = AutomationRule(
        shop=shop, name="r", action=Do.APPROVE_RETURN, kinds=[Kind.RETURN_REFUND],
        return_address=shop.default_return_address,
    )  # fmt: skip
    assert rules.rule_errors(rule) == {}


def test_a_good_rule_is_saved_last_in_the_order(shop, seller):
    first = a_rule(shop, order_shipped=False)
    second = a_rule(shop, amount_up_to=Decimal("50"))
    assert (first.position, second.position) == (0, 1)


# --- what a rule matches, condition by condition --------------------------------------------


@pytest.mark.parametrize(
    ("condition", "matched", "unmatched"),
    [
        ({"kinds": [Kind.REFUND_ONLY]}, {}, None),
        ({"reasons": [Reason.NOT_RECEIVED]}, {"reason": Reason.NOT_RECEIVED},
         {"reason": Reason.QUALITY_PROBLEM}),
        ({"reasons": [Reason.CHANGED_MIND]}, {"item": {"not_shipped": True}},
         {"item": {"in_transit": True}}),
        ({"amount_up_to": Decimal("50")}, {"refund_amount": Decimal("50")},
         {"refund_amount": Decimal("50.01")}),
        ({"amount_at_least": Decimal("20")}, {"refund_amount": Decimal("20")},
         {"refund_amount": Decimal("19.99")}),
        ({"order_shipped": False}, {"item": {"not_shipped": True}}, {"item": {}}),
        ({"order_shipped": True}, {"item": {}}, {"item": {"not_shipped": True}}),
        ({"days_since_delivery_up_to": 3}, {"item": {}},
         {"item": {"delivered_at": timezone.now() - timedelta(days=5)}}),
        ({"days_since_delivery_up_to": 3}, {"item": {}}, {"item": {"in_transit": True}}),
        ({"min_trust_level": TrustLevel.GOOD}, {"standing": TrustLevel.EXCELLENT},
         {"standing": TrustLevel.ORDINARY}),
        ({"min_trust_level": TrustLevel.ORDINARY}, {"standing": TrustLevel.ORDINARY},
         {"standing": None}),
    ],
)  # fmt: skip
def test_each_condition_matches_on_its_own(shop, seller, condition, matched, unmatched):
    rule = a_rule(shop, enabled=False, **condition)  # switched off: we ask it, it does not act
    for case, expected in ((matched, True), (unmatched, False)):
        if case is None:
            continue
        case = dict(case)
        buyer = UserFactory()
        if (level := case.pop("standing", None)) is not None:
            BuyerStanding.objects.create(buyer=buyer, level=level, computed_at=timezone.now())
        item = OrderItemFactory(order__buyer=buyer, order__shop=shop, **case.pop("item", {}))
        reason = {"reason": case["reason"]} if "reason" in case else {}
        request = refund_only(
            item, refund_amount=case.get("refund_amount", Decimal("30")), **reason
        )
        assert rules.matches(rule, request) is expected, (condition, case)


def file_any(item, kind, amount):
    if kind == Kind.REFUND_ONLY:
        return refund_only(item, refund_amount=amount)
    return file_request(item, kind=kind, refund_amount=amount)


def test_preview_counts_what_the_live_application_would_do(shop, seller):
    """The same requests, asked both ways: the preview's count is the number the rule acts
    on when it is switched on and they are filed."""
    condition = {"order_shipped": False, "amount_up_to": Decimal("60")}
    probe = a_rule(shop, enabled=False, **condition)
    cases = [
        ({"not_shipped": True}, Kind.REFUND_ONLY, Decimal("50")),
        ({"not_shipped": True}, Kind.REFUND_ONLY, Decimal("80")),
        ({}, Kind.REFUND_ONLY, Decimal("20")),
        ({"not_shipped": True}, Kind.REFUND_ONLY, Decimal("60")),
        ({}, Kind.RETURN_REFUND, Decimal("20")),
    ]
    filed = []
    for item_fields, kind, amount in cases:
        item = OrderItemFactory(order__buyer=UserFactory(), order__shop=shop, **item_fields)
        filed.append(file_any(item, kind, amount))
    preview = rules.preview(probe, now=timezone.now())
    would = sum(rules.matches(probe, request) for request in filed)
    assert preview.count == would == 2
    # Switched on, the same rule acts on requests filed alike: as many as the preview said.
    AutomationRule.objects.filter(pk=probe.pk).update(enabled=True)
    acted = 0
    for item_fields, kind, amount in cases:
        item = OrderItemFactory(order__buyer=UserFactory(), order__shop=shop, **item_fields)
        acted += file_any(item, kind, amount).events.filter(rule=probe).exists()
    assert acted == preview.count


def test_preview_leaves_out_requests_older_than_30_days(shop, seller):
    rule = a_rule(shop, enabled=False, order_shipped=False)
    request = refund_only(unshipped(UserFactory(), shop))
    AfterSalesRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    assert rules.preview(rule, now=timezone.now()).count == 0


# --- applied on submission ------------------------------------------------------------------


def test_refund_only_on_an_unshipped_order_is_agreed_at_once_with_the_rule_named(
    shop, seller, buyer
):
    rule = a_rule(shop, kinds=[Kind.REFUND_ONLY], order_shipped=False)
    item = unshipped(buyer, shop)
    request = refund_only(item)
    assert request.state == State.REFUNDED
    event = request.events.get(action=Action.APPROVE)
    assert (event.actor_id, event.actor_role, event.rule) == (None, Role.SYSTEM, rule)
    assert "未发货仅退款" in event.action_label
    assert "automation rule" in event.action_label
    refund = LedgerEntry.objects.get(request=request, type=LedgerEntry.Type.REFUND)
    assert refund.amount == request.refund_amount
    # The buyer hears of it, in words that name the rule.
    note = buyer.notifications.get(event=event)
    from aftersales.templatetags.aftersales import notification_text

    assert "未发货仅退款" in notification_text(note)


def test_a_return_is_approved_to_the_rules_address(shop, seller, buyer):
    second = ReturnAddressFactory(shop=shop, is_default=False, address="仓库二号")
    rule = a_rule(
        shop, action=Do.APPROVE_RETURN, kinds=[Kind.RETURN_REFUND],
        reasons=[Reason.CHANGED_MIND], return_address=second,
    )  # fmt: skip
    request = file_request(
        OrderItemFactory(order__buyer=buyer, order__shop=shop),
        kind=Kind.RETURN_REFUND,
        reason=Reason.CHANGED_MIND,
    )
    assert request.state == State.AWAITING_RETURN
    assert "仓库二号" in request.return_address
    assert request.events.get(action=Action.APPROVE).rule == rule


def test_rules_apply_in_order_the_first_match_acts(shop, seller, buyer):
    first = a_rule(shop, name="first", order_shipped=False)
    a_rule(shop, name="second", amount_up_to=Decimal("999"))
    request = refund_only(unshipped(buyer, shop))
    assert request.events.get(action=Action.APPROVE).rule == first
    services.automation.move_rule(rule=first, up=False)
    request = refund_only(unshipped(buyer, shop))
    assert request.events.get(action=Action.APPROVE).rule.name == "second"


def test_a_switched_off_rule_is_ignored(shop, seller, buyer):
    rule = a_rule(shop, order_shipped=False)
    automation.switch_rule(rule=rule, enabled=False)
    request = refund_only(unshipped(buyer, shop))
    assert request.state == State.SUBMITTED


def test_another_shops_rule_never_applies(shop, seller, buyer):
    a_rule(ShopFactory(), order_shipped=False)
    request = refund_only(unshipped(buyer, shop))
    assert request.state == State.SUBMITTED


def test_a_failing_rule_is_rolled_back_and_the_request_stays_submitted(
    shop, seller, buyer, monkeypatch
):
    a_rule(shop, order_shipped=False)

    def over_the_cap(*args, **kwargs):
        from aftersales.errors import RefundLimitExceeded

        raise RefundLimitExceeded()

    monkeypatch.setattr("aftersales.services.ledger.check_caps", over_the_cap)
    request = refund_only(unshipped(buyer, shop))
    request.refresh_from_db()
    assert request.state == State.SUBMITTED
    assert list(request.events.values_list("action", flat=True)) == [Action.SUBMIT]
    assert not LedgerEntry.objects.filter(request=request).exists()


def test_a_resubmitted_request_is_matched_again(shop, seller, buyer):
    request = refund_only(unshipped(buyer, shop))
    request = services.reject_request(
        request=request, actor=seller, reason="other", explanation="Send a photo."
    )
    a_rule(shop, order_shipped=False)
    request = services.resubmit_request(
        request=request, actor=buyer, kind=Kind.REFUND_ONLY, reason=Reason.CHANGED_MIND,
        quantity=1, refund_amount=Decimal("30"), description="Never shipped.",
    )  # fmt: skip
    assert request.state == State.REFUNDED


# --- applied on sign-for --------------------------------------------------------------------


def shipped_back(item, seller, *, kind=Kind.RETURN_REFUND, reason=Reason.QUALITY_PROBLEM):
    request = file_request(item, kind=kind, reason=reason)
    request = services.approve_request(request=request, actor=seller)
    fee = Decimal("12.00") if request.seller_pays_return_shipping else Decimal("0.00")
    request = services.ship_return(
        request=request, actor=item.order.buyer, shipping_fee=fee, **TRACKING
    )
    return request, request.shipments.get(purpose=Shipment.Purpose.RETURN)


def test_refund_on_sign_for(shop, seller, buyer):
    rule = a_rule(shop, action=Do.REFUND_ON_SIGN_FOR, amount_up_to=Decimal("500"))
    request, parcel = shipped_back(OrderItemFactory(order__buyer=buyer, order__shop=shop), seller)
    now = timezone.now()
    request = automation.apply_on_sign_for(request, parcel, now=now)
    assert request.state == State.REFUNDED
    event = request.events.get(action=Action.REFUND_ON_SIGN_FOR)
    assert (event.rule, event.actor_role) == (rule, Role.SYSTEM)
    assert "automation rule" in event.action_label
    types = set(LedgerEntry.objects.filter(request=request).values_list("type", flat=True))
    assert types == {LedgerEntry.Type.REFUND, LedgerEntry.Type.SHIPPING_REIMBURSEMENT}
    parcel.refresh_from_db()
    assert parcel.received_at == now
    # Signed for twice (a repeated push): nothing more happens.
    assert automation.apply_on_sign_for(request, parcel, now=now) is None
    assert LedgerEntry.objects.filter(request=request).count() == 2


def test_no_refund_on_sign_for_after_a_fast_refund(shop, seller, buyer):
    a_rule(shop, action=Do.REFUND_ON_SIGN_FOR, amount_up_to=Decimal("500"))
    request, parcel = shipped_back(OrderItemFactory(order__buyer=buyer, order__shop=shop), seller)
    AfterSalesRequest.objects.filter(pk=request.pk).update(fast_refund_at=timezone.now())
    request.refresh_from_db()
    assert automation.apply_on_sign_for(request, parcel, now=timezone.now()) is None
    assert request.state == State.RETURN_SHIPPED


def test_pass_on_sign_for_no_reason_returns_under_an_amount(shop, seller, buyer):
    rule = a_rule(
        shop, name="无理由小额签收即通过", action=Do.PASS_ON_SIGN_FOR,
        reasons=[Reason.CHANGED_MIND, Reason.WRONG_SIZE], amount_up_to=Decimal("300"),
    )  # fmt: skip
    request, parcel = shipped_back(
        OrderItemFactory(order__buyer=buyer, order__shop=shop), seller, reason=Reason.CHANGED_MIND
    )
    request = automation.apply_on_sign_for(request, parcel, now=timezone.now())
    assert request.state == State.REFUNDED
    steps = list(request.events.filter(rule=rule).values_list("action", flat=True))
    assert steps == [Action.CONFIRM_RETURN_RECEIVED, Action.PASS_INSPECTION]
    # A quality problem is not a no-reason return: the seller inspects it.
    request, parcel = shipped_back(OrderItemFactory(order__buyer=buyer, order__shop=shop), seller)
    assert automation.apply_on_sign_for(request, parcel, now=timezone.now()) is None
    assert request.state == State.RETURN_SHIPPED


def test_pass_on_sign_for_starts_a_repair_under_warranty(shop, seller, buyer):
    a_rule(shop, action=Do.PASS_ON_SIGN_FOR, kinds=[Kind.REPAIR])
    request, parcel = shipped_back(
        OrderItemFactory(order__buyer=buyer, order__shop=shop), seller, kind=Kind.REPAIR
    )
    request = automation.apply_on_sign_for(request, parcel, now=timezone.now())
    assert request.state == State.REPAIRING


def test_sign_for_rules_do_not_act_on_submission_and_vice_versa(shop, seller, buyer):
    a_rule(shop, action=Do.REFUND_ON_SIGN_FOR, amount_up_to=Decimal("500"))
    request = file_request(OrderItemFactory(order__buyer=buyer, order__shop=shop))
    assert request.state == State.SUBMITTED
    request = services.approve_request(request=request, actor=seller)
    AutomationRule.objects.all().delete()
    a_rule(shop, order_shipped=True)  # agrees to refund-only requests, on submission only
    request = services.ship_return(request=request, actor=buyer, **TRACKING)
    parcel = request.shipments.get()
    assert automation.apply_on_sign_for(request, parcel, now=timezone.now()) is None


# --- keeping the rules ----------------------------------------------------------------------


def test_a_rule_that_acted_cannot_be_deleted_only_switched_off(shop, seller, buyer):
    rule = a_rule(shop, order_shipped=False)
    unused = a_rule(shop, name="unused", amount_up_to=Decimal("1"))
    refund_only(unshipped(buyer, shop))
    with pytest.raises(InvalidInput, match="Switch it off"):
        automation.delete_rule(rule=rule)
    automation.delete_rule(rule=unused)
    assert list(AutomationRule.objects.all()) == [rule]
    assert RequestEvent.objects.filter(rule=rule).count() == 1


def test_moving_rules_up_and_down(shop, seller):
    a, b, c = (a_rule(shop, name=n, order_shipped=False) for n in "abc")
    automation.move_rule(rule=c, up=True)
    automation.move_rule(rule=a, up=True)  # already first: stays
    order = list(AutomationRule.objects.filter(shop=shop).values_list("name", flat=True))
    assert order == ["a", "c", "b"]
    automation.move_rule(rule=a, up=False)
    order = list(AutomationRule.objects.filter(shop=shop).values_list("name", flat=True))
    assert order == ["c", "a", "b"]


def test_a_sign_for_rules_preview_counts_what_it_acts_on_when_signed_for(shop, seller, buyer):
    probe = a_rule(shop, enabled=False, action=Do.REFUND_ON_SIGN_FOR, amount_up_to=Decimal("150"))
    shipped = []
    for amount in (Decimal("100"), Decimal("200"), Decimal("150")):
        item = OrderItemFactory(order__buyer=UserFactory(), order__shop=shop)
        request = file_request(item, kind=Kind.RETURN_REFUND, quantity=2, refund_amount=amount)
        request = services.approve_request(request=request, actor=seller)
        shipped.append(services.ship_return(request=request, actor=item.order.buyer, **TRACKING))
    refund_only(OrderItemFactory(order__buyer=buyer, order__shop=shop), refund_amount=Decimal("5"))
    preview = rules.preview(probe, now=timezone.now())
    AutomationRule.objects.filter(pk=probe.pk).update(enabled=True)
    acted = [
        automation.apply_on_sign_for(r, r.shipments.get(), now=timezone.now()) is not None
        for r in shipped
    ]
    assert preview.count == sum(acted) == 2
