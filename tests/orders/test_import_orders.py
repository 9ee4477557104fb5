"""``./manage.py import_orders``: the order system's orders come in, checked order by order."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from orders.models import Order, OrderItem
from tests.orders.factories import ShopFactory, UserFactory, an_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return ShopFactory(name="杭州茶香旗舰店")


@pytest.fixture
def buyer():
    return UserFactory(username="lihua")


def run(tmp_path, orders, *args, name="orders.jsonl"):
    """The command on a file of these orders (JSON lines, or text as it is): output, errors,
    and the exit code."""
    path = tmp_path / name
    if isinstance(orders, str):
        path.write_text(orders, encoding="utf-8")
    else:
        path.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in orders) + "\n")
    out, err = StringIO(), StringIO()
    try:
        call_command("import_orders", str(path), *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        err.write(str(error))
        code = error.returncode
    return out.getvalue(), err.getvalue(), code


def test_orders_from_json_lines_are_created_with_their_items(tmp_path, shop, buyer):
    out, err, code = run(tmp_path, [an_order(shop), an_order(shop, number="T20261201002")])
    assert (code, err) == (0, "")
    assert "2 created, 0 updated, 0 unchanged, 0 refused" in out
    order = Order.objects.get(number="T20261201001")
    assert (order.buyer, order.shop, order.payment_method) == (buyer, shop, "alipay")
    assert order.paid_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    item = order.items.get()
    assert (item.title, item.quantity, item.amount_paid) == ("西湖龙井 250g", 2, Decimal("240.00"))
    assert item.delivered_at is None


def test_the_same_file_twice_changes_nothing(tmp_path, shop, buyer):
    run(tmp_path, [an_order(shop)])
    before = list(OrderItem.objects.values())
    out, _, code = run(tmp_path, [an_order(shop)])
    assert code == 0 and "0 created, 0 updated, 1 unchanged, 0 refused" in out
    assert list(OrderItem.objects.values()) == before


def test_a_delivery_reported_later_is_filled_in_and_never_moved(tmp_path, shop, buyer):
    run(tmp_path, [an_order(shop)])
    delivered = an_order(shop)
    delivered["items"][0]["delivered_at"] = "2026-11-23T15:30:00+08:00"
    out, _, code = run(tmp_path, [delivered])
    assert code == 0 and "1 updated" in out
    item = OrderItem.objects.get()
    assert item.delivered_at == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    # a later file that moves it is refused, and the recorded time stays
    delivered["items"][0]["delivered_at"] = "2026-11-25T15:30:00+08:00"
    _, err, code = run(tmp_path, [delivered])
    assert code == 1 and "item 1 delivered_at" in err
    assert OrderItem.objects.get().delivered_at == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def test_an_order_imported_before_with_other_amounts_is_refused(tmp_path, shop, buyer):
    run(tmp_path, [an_order(shop)])
    changed = an_order(shop)
    changed["items"][0]["amount_paid"] = "1.00"
    _, err, code = run(tmp_path, [changed])
    assert code == 1
    assert "T20261201001 was imported before with other values: item 1 amount_paid" in err
    assert OrderItem.objects.get().amount_paid == Decimal("240.00")


def test_bad_rows_are_refused_with_their_line_and_reason_and_the_good_ones_written(
    tmp_path, shop, buyer
):
    good = an_order(shop, number="T1")
    unknown_buyer = an_order(shop, number="T2", buyer="nobody")
    overpaid = an_order(shop, number="T3")
    overpaid["items"][0]["amount_paid"] = "999.00"
    second_item_bad = an_order(shop, number="T4")
    second_item_bad["items"].append({**second_item_bad["items"][0], "quantity": 0})
    delivered_unshipped = an_order(shop, number="T5")
    delivered_unshipped["items"][0].update(shipped_at=None, delivered_at="2026-11-22T10:00:00Z")
    text = "\n".join(
        [
            json.dumps(good),
            json.dumps(unknown_buyer),
            "{not json",
            json.dumps(overpaid),
            json.dumps(an_order(shop, number="T6", shop=99999, payment_method="cash")),
            json.dumps(second_item_bad),
            json.dumps(an_order(shop, number="bad number!", items=[])),
            json.dumps(delivered_unshipped),
            json.dumps(["an", "array"]),
        ]
    )
    out, err, code = run(tmp_path, text)
    assert code == 1
    assert "1 created, 0 updated, 0 unchanged, 8 refused" in out
    lines = err.splitlines()
    for expected in [
        "line 2, order T2: buyer: No user “nobody” on the platform.",
        "line 3, order ?: Not JSON:",
        "line 4, order T3: item 1, amount_paid: More than the unit price times the quantity.",
        "line 5, order T6: shop: No shop with this id.",
        "line 5, order T6: payment_method: Select a valid choice.",
        "line 6, order T4: item 2, quantity: Ensure this value is greater than or equal to 1.",
        "line 7, order bad number!: number: An order number is letters, digits and dashes.",
        "line 7, order bad number!: items: an order has at least one item.",
        "line 8, order T5: item 1, delivered_at: Delivered without having been shipped.",
        "line 9, order ?: Not an order: a JSON object with a list of items is expected.",
    ]:
        assert any(line.startswith(expected) for line in lines), expected
    assert list(Order.objects.values_list("number", flat=True)) == ["T1"]


CSV_HEADER = (
    "number,buyer,shop,payment_method,shipping_address,paid_at,"
    "title,sku,unit_price,quantity,amount_paid,shipped_at,delivered_at"
)


def test_csv_lines_of_one_order_number_make_one_order(tmp_path, shop, buyer):
    rows = [
        CSV_HEADER,
        f"C1,lihua,{shop.pk},wechat,杭州,2026-11-20 10:00,龙井,LJ,128.00,1,128.00,,",
        f"C1,lihua,{shop.pk},wechat,杭州,2026-11-20 10:00,碧螺春,BLC,98.00,1,90.00,,",
        f"C2,lihua,{shop.pk},wechat,杭州,2026-11-20 10:00,白茶,BC,60.00,1,60.00,,",
        f"C2,lihua,{shop.pk},card,杭州,2026-11-20 10:00,红茶,HC,60.00,1,60.00,,",
    ]
    out, err, code = run(tmp_path, "\ufeff" + "\n".join(rows) + "\n", name="orders.csv")
    assert code == 1
    assert "1 created, 0 updated, 0 unchanged, 1 refused" in out
    assert "line 5, order C2: Order C2: this line's order columns differ from line 4." in err
    order = Order.objects.get()
    assert order.number == "C1"
    assert [i.title for i in order.items.order_by("pk")] == ["龙井", "碧螺春"]
    assert order.payment_method == "wechat"
    # a time without a zone is Beijing time
    assert order.paid_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_a_csv_without_the_columns_is_refused_whole(tmp_path, shop, buyer):
    _, err, code = run(tmp_path, "number,buyer\nX,lihua\n", name="orders.csv")
    assert code == 1
    assert "Columns missing: shop, payment_method" in err
    assert not Order.objects.exists()


def test_check_only_writes_nothing(tmp_path, shop, buyer):
    out, _, code = run(tmp_path, [an_order(shop)], "--check")
    assert code == 0 and "1 created" in out and "nothing written" in out
    assert not Order.objects.exists()


def test_refusals_are_written_in_the_operators_language(tmp_path, shop, buyer):
    with translation.override("zh-hans"):
        _, err, code = run(tmp_path, [an_order(shop, buyer="nobody")])
    assert code == 1
    assert "平台上没有用户“nobody”" in err


def test_a_file_in_an_unknown_format_is_refused(tmp_path, shop, buyer):
    _, err, code = run(tmp_path, [an_order(shop)], name="orders.xml")
    assert code == 1 and "--format" in err


def test_a_time_that_is_not_text_is_refused_not_a_crash(tmp_path, shop, buyer):
    order = an_order(shop, paid_at={"at": "today"})
    order["items"][0]["delivered_at"] = 20261121
    out, err, code = run(tmp_path, [order])
    assert code == 1
    assert "paid_at" in err and "delivered_at" in err
    assert not Order.objects.exists()


# --- 退货运费险: region and return insurance, optional ------------------------------------------


def test_region_and_return_insurance_are_imported(tmp_path, shop, buyer):
    orders = [
        an_order(shop, region="northwest", return_insurance="shop_gift"),
        an_order(shop, number="T2", region="east", return_insurance="bought"),
        an_order(shop, number="T3"),  # neither: an uninsured order without a region
    ]
    out, err, code = run(tmp_path, orders)
    assert (code, err) == (0, "")
    assert "3 created" in out
    assert sorted(Order.objects.values_list("number", "region", "return_insurance")) == [
        ("T2", "east", "bought"),
        ("T20261201001", "northwest", "shop_gift"),
        ("T3", "", ""),
    ]


def test_a_bad_region_or_insurance_is_refused_with_the_values_to_use(tmp_path, shop, buyer):
    orders = [
        an_order(shop, region="mars"),
        an_order(shop, number="T2", return_insurance="yes"),
        an_order(shop, number="T3", region=7),
    ]
    out, err, code = run(tmp_path, orders)
    assert code == 1
    assert "0 created, 0 updated, 0 unchanged, 3 refused" in out
    assert "region: “mars” is not a region; use east, north, south" in err
    assert "return_insurance: “yes” is no kind of return-shipping insurance; use bought" in err
    assert "region: “7” is not a region" in err
    assert not Order.objects.exists()


def test_a_reimport_compares_the_insurance_only_when_it_is_given(tmp_path, shop, buyer):
    run(tmp_path, [an_order(shop, region="east", return_insurance="bought")])

    out, _, _ = run(tmp_path, [an_order(shop)])  # an older export without the columns
    assert "1 unchanged" in out
    out, err, code = run(tmp_path, [an_order(shop, region="east", return_insurance="")])
    assert code == 1
    assert "imported before with other values: return_insurance" in err
    assert Order.objects.get().return_insurance == "bought"


def test_csv_may_carry_region_and_insurance_columns(tmp_path, shop, buyer):
    header = CSV_HEADER + ",region,return_insurance"
    rows = [
        header,
        f"C1,lihua,{shop.pk},wechat,杭州,2026-11-20 10:00,龙井,LJ,128.00,1,128.00,,,east,shop_gift",
        f"C2,lihua,{shop.pk},wechat,杭州,2026-11-20 10:00,白茶,BC,60.00,1,60.00,,,south,",
        f"C3,lihua,{shop.pk},wechat,杭州,2026-11-20 10:00,红茶,HC,60.00,1,60.00,,,west,",
    ]
    out, err, code = run(tmp_path, "\n".join(rows) + "\n", name="orders.csv")
    assert code == 1
    assert "2 created, 0 updated, 0 unchanged, 1 refused" in out
    assert "order C3: region: “west” is not a region" in err
    assert sorted(Order.objects.values_list("number", "region", "return_insurance")) == [
        ("C1", "east", "shop_gift"),
        ("C2", "south", ""),
    ]


def test_refusals_of_the_insurance_are_translated(tmp_path, shop, buyer):
    with translation.override("zh-hans"):
        _, err, _ = run(tmp_path, [an_order(shop, return_insurance="yes")])
    assert "退货运费险" in err
