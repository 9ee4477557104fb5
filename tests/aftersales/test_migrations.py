"""Migrations that move data: run them on rows written the old way."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("aftersales", "0006_verbose_names"), ("disputes", "0004_verbose_names")]
AFTER = [("aftersales", "0008_one_vocabulary"), ("disputes", "0005_disputes_moved_to_aftersales")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_due_actions_and_disputes_survive_the_move_to_one_vocabulary():
    # given: a request overdue for auto-approval and an open dispute, written before the move
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    buyer = User.objects.create(username="old-buyer")
    shop = old.get_model("orders", "Shop").objects.create(name="Old shop")
    now = timezone.now()
    order = old.get_model("orders", "Order").objects.create(
        number="1", buyer=buyer, shop=shop, payment_method="alipay", paid_at=now
    )
    Item = old.get_model("orders", "OrderItem")
    tea, pot = (
        Item.objects.create(
            order=order, title=title, unit_price=Decimal(10), quantity=1, amount_paid=Decimal(10)
        )
        for title in ("Tea", "Pot")
    )
    Request = old.get_model("aftersales", "AfterSalesRequest")
    fields = {"order": order, "buyer": buyer, "shop": shop, "quantity": 1}
    submitted = Request.objects.create(
        **fields, order_item=tea, kind="refund_only", reason="not_received", description="-",
        due_at=now - timedelta(minutes=1), due_action="auto_approve",
    )  # fmt: skip
    disputed = Request.objects.create(
        **fields, order_item=pot, kind="return_refund", reason="quality_problem", description="-",
        state="disputed",
    )  # fmt: skip
    old.get_model("disputes", "Dispute").objects.create(
        request=disputed, opened_by_role="system", reason="seller_unresponsive",
        ruling_due_at=now + timedelta(days=5),
    )  # fmt: skip

    # when
    new = migrate(AFTER)

    # then: the deadline names the system transition, and the dispute is the same row
    Request = new.get_model("aftersales", "AfterSalesRequest")
    assert Request.objects.get(pk=submitted.pk).due_action == "approve"
    dispute = new.get_model("aftersales", "Dispute").objects.get()
    assert (dispute.request_id, dispute.reason) == (disputed.pk, "seller_unresponsive")
    ContentType = new.get_model("contenttypes", "ContentType")
    assert ContentType.objects.filter(app_label="aftersales", model="dispute").exists()
    assert not ContentType.objects.filter(app_label="disputes", model="dispute").exists()

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_first_response_is_filled_from_the_event_log():
    # given requests written before the column: one the seller answered (then acted again),
    # one only the buyer and the system touched, one the seller first answered on a dispute
    old = migrate([("aftersales", "0008_one_vocabulary")])
    User = old.get_model("auth", "User")
    buyer, seller = (User.objects.create(username=name) for name in ("buyer0", "seller0"))
    shop = old.get_model("orders", "Shop").objects.create(name="Old shop")
    now = timezone.now()
    order = old.get_model("orders", "Order").objects.create(
        number="1", buyer=buyer, shop=shop, payment_method="alipay", paid_at=now
    )
    Item = old.get_model("orders", "OrderItem")
    Request = old.get_model("aftersales", "AfterSalesRequest")
    Event = old.get_model("aftersales", "RequestEvent")

    def request_with(*events):
        item = Item.objects.create(
            order=order, title="Tea", unit_price=Decimal(10), quantity=1, amount_paid=Decimal(10)
        )
        request = Request.objects.create(
            order=order, buyer=buyer, shop=shop, quantity=1, order_item=item, kind="exchange",
            reason="quality_problem", description="-", state="closed",
        )  # fmt: skip
        for role, action, hours in events:
            Event.objects.create(
                request=request, actor=seller if role == "seller" else None, actor_role=role,
                action=action, to_state="closed", created_at=now + timedelta(hours=hours),
            )  # fmt: skip
        return request.pk

    answered = request_with(("buyer", "submit", 0), ("seller", "reject", 3), ("seller", "rule", 9))
    silent = request_with(("buyer", "submit", 0), ("system", "approve", 48))
    on_dispute = request_with(
        ("buyer", "submit", 0),
        ("system", "escalate_overdue", 300),
        ("seller", "answer_dispute", 301),
    )

    # when
    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # then
    first = dict(
        new.get_model("aftersales", "AfterSalesRequest").objects.values_list(
            "pk", "first_response_at"
        )
    )
    assert first == {
        answered: now + timedelta(hours=3),
        silent: None,
        on_dispute: now + timedelta(hours=301),
    }
