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
