"""Orders from the marketplace's order system (SPEC §2: there is no checkout here).

A file holds orders as JSON lines (one order per line, its items in ``items``) or as CSV (one
item per line, the order's columns repeated; lines with the same order number make one order).
Each order is checked on its own and written whole or not at all; an order number that is
already here is the same order again:

- the same in every field: nothing changes (``unchanged``), so a file can be imported twice;
- an item newly shipped or delivered: those times are filled in (``updated``), as the order
  system reports them; a time already recorded is never moved or cleared;
- anything else different (buyer, shop, amounts, items): refused, with the field named.

``region`` and ``return_insurance`` (退货运费险: ``bought``, ``shop_gift``) are optional: a file
(or a CSV column) that leaves them out imports orders without them, and a re-import that leaves
them out does not compare them.

Every refusal says which line and why, in the current language; the orders that pass are
written even when others are refused. ``check_only`` runs every check and writes nothing.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Order, OrderItem, Shop

ORDER_FIELDS = ("number", "buyer", "shop", "payment_method", "shipping_address", "paid_at")
# Optional: a line or CSV file may leave them out.
OPTIONAL_ORDER_FIELDS = ("region", "return_insurance")
ITEM_FIELDS = (
    "title",
    "sku",
    "unit_price",
    "quantity",
    "amount_paid",
    "shipped_at",
    "delivered_at",
)
# What the order system may still report about an item it sent before.
PROGRESS_FIELDS = ("shipped_at", "delivered_at")
MAX_ITEMS = 100


class TimeField(forms.DateTimeField):
    """A time as JSON gives it: text (or nothing). Anything else (a number, an object) is
    refused like a malformed time, instead of reaching the parser."""

    def to_python(self, value):
        if value is not None and not isinstance(value, str):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class OrderRow(forms.Form):
    number = forms.CharField(
        max_length=32,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9-]+$",
                gettext_lazy("An order number is letters, digits and dashes."),
            )
        ],
    )
    buyer = forms.CharField(max_length=150)
    shop = forms.IntegerField(min_value=1)
    payment_method = forms.ChoiceField(choices=Order.PaymentMethod.choices)
    shipping_address = forms.CharField(max_length=255, required=False)
    paid_at = TimeField()
    region = forms.ChoiceField(
        choices=[("", ""), *Order.Region.choices],
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not a region; use east, north, south, central, southwest, "
                "northwest, northeast, remote or leave it empty."
            )
        },
    )
    return_insurance = forms.ChoiceField(
        choices=[("", ""), *Order.Insurance.choices],
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is no kind of return-shipping insurance; use bought (the buyer "
                "bought it), shop_gift (the shop gave it, 退货宝) or leave it empty."
            )
        },
    )

    def clean_buyer(self):
        username = self.cleaned_data["buyer"]
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise forms.ValidationError(
                _("No user “%(username)s” on the platform.") % {"username": username}
            ) from None

    def clean_shop(self):
        try:
            return Shop.objects.get(pk=self.cleaned_data["shop"])
        except Shop.DoesNotExist:
            raise forms.ValidationError(_("No shop with this id.")) from None


class ItemRow(forms.Form):
    title = forms.CharField(max_length=200)
    sku = forms.CharField(max_length=200, required=False)
    unit_price = forms.DecimalField(min_value=Decimal("0"), max_digits=12, decimal_places=2)
    quantity = forms.IntegerField(min_value=1, max_value=10_000)
    amount_paid = forms.DecimalField(min_value=Decimal("0"), max_digits=12, decimal_places=2)
    shipped_at = TimeField(required=False)
    delivered_at = TimeField(required=False)

    def clean(self):
        data = super().clean()
        price, quantity, paid = (data.get(k) for k in ("unit_price", "quantity", "amount_paid"))
        if None not in (price, quantity, paid) and paid > price * quantity:
            self.add_error("amount_paid", _("More than the unit price times the quantity."))
        shipped, delivered = data.get("shipped_at"), data.get("delivered_at")
        if delivered and not shipped:
            self.add_error("delivered_at", _("Delivered without having been shipped."))
        elif delivered and shipped and delivered < shipped:
            self.add_error("delivered_at", _("Delivered before it was shipped."))
        return data


@dataclass
class Outcome:
    """What became of one order of the file."""

    line: int
    number: str
    status: str  # created, updated, unchanged, refused
    errors: list[str] = field(default_factory=list)


class UnreadableFile(ValueError):
    """The file is neither JSON lines nor CSV with the expected columns."""


@dataclass
class Unreadable:
    """A line of the file that is no order at all (and the order number, if one could be
    read)."""

    problem: str
    number: str = ""


def read_orders(text: str, file_format: str) -> Iterator[tuple[int, dict | Unreadable]]:
    """``(line, order)`` for each order of the file, or ``(line, Unreadable)`` for a line that
    is none; a CSV order is reported at its first line."""
    if file_format == "jsonl":
        yield from _read_json_lines(text)
    elif file_format == "csv":
        yield from _read_csv(text)
    else:
        raise UnreadableFile(
            _("Unknown format “%(format)s”: use jsonl or csv.") % {"format": file_format}
        )


def _read_json_lines(text: str) -> Iterator[tuple[int, dict | Unreadable]]:
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            order = json.loads(raw)
        except json.JSONDecodeError as error:
            yield line, Unreadable(_("Not JSON: %(error)s") % {"error": error.msg})
            continue
        if not isinstance(order, dict) or not isinstance(order.get("items"), list):
            yield (
                line,
                Unreadable(_("Not an order: a JSON object with a list of items is expected.")),
            )
            continue
        yield line, order


def _read_csv(text: str) -> Iterator[tuple[int, dict | Unreadable]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = reader.fieldnames or []
    if missing := [name for name in (*ORDER_FIELDS, *ITEM_FIELDS) if name not in columns]:
        raise UnreadableFile(_("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
    fields = (*ORDER_FIELDS, *(name for name in OPTIONAL_ORDER_FIELDS if name in columns))
    orders: dict[str, tuple[int, dict]] = {}
    for row in reader:
        line = reader.line_num
        number = (row.get("number") or "").strip()
        first_line, order = orders.setdefault(
            number, (line, {name: row[name] for name in fields} | {"items": []})
        )
        if any(order[name] != row[name] for name in fields):
            problem = _("Order %(number)s: this line's order columns differ from line %(first)s.")
            yield line, Unreadable(problem % {"number": number, "first": first_line}, number)
            orders[number] = (first_line, {**order, "items": None})  # none of it is written
            continue
        if order["items"] is not None:
            order["items"].append({name: row[name] for name in ITEM_FIELDS})
    for line, order in orders.values():
        if order["items"] is not None:
            yield line, order


def import_orders(
    rows: Iterable[tuple[int, dict | Unreadable]], *, check_only: bool = False
) -> list[Outcome]:
    """Check and write each order of ``rows`` (from :func:`read_orders`); one outcome each."""
    outcomes = []
    for line, order in rows:
        if isinstance(order, Unreadable):
            outcomes.append(Outcome(line, order.number, "refused", [order.problem]))
            continue
        outcomes.append(_import_one(line, order, check_only=check_only))
    return outcomes


def _import_one(line: int, raw: dict, *, check_only: bool) -> Outcome:
    number = str(raw.get("number", ""))[:32]
    order_form = OrderRow({name: raw.get(name) for name in (*ORDER_FIELDS, *OPTIONAL_ORDER_FIELDS)})
    reported = [*ORDER_FIELDS, *(name for name in OPTIONAL_ORDER_FIELDS if name in raw)]
    errors = _errors(order_form)
    items = raw.get("items") or []
    if not items:
        errors.append(_("items: an order has at least one item."))
    if len(items) > MAX_ITEMS:
        errors.append(_("items: at most %(n)s in one order.") % {"n": MAX_ITEMS})
        items = []
    item_forms = []
    for n, item in enumerate(items, 1):
        item_form = ItemRow(
            {name: item.get(name) for name in ITEM_FIELDS} if isinstance(item, dict) else {}
        )
        errors += [_("item %(n)s, %(error)s") % {"n": n, "error": e} for e in _errors(item_form)]
        item_forms.append(item_form)
    if errors:
        return Outcome(line, number, "refused", errors)
    order = order_form.cleaned_data
    wanted = [item_form.cleaned_data for item_form in item_forms]
    try:
        with transaction.atomic():
            status, errors = _write(order, wanted, reported)
            if errors or check_only:
                transaction.set_rollback(True)
    except IntegrityError:  # another import created the same order meanwhile: compare with it
        with transaction.atomic():
            status, errors = _write(order, wanted, reported)
            if errors or check_only:
                transaction.set_rollback(True)
    return Outcome(line, order["number"], "refused" if errors else status, errors)


def _write(order: dict, wanted: list[dict], reported: list[str]) -> tuple[str, list[str]]:
    existing = Order.objects.select_for_update().filter(number=order["number"]).first()
    if existing is None:
        created = Order.objects.create(**order)
        OrderItem.objects.bulk_create(OrderItem(order=created, **item) for item in wanted)
        return "created", []
    differs = [
        name for name in reported if name != "number" and getattr(existing, name) != order[name]
    ]
    items = list(existing.items.order_by("pk"))
    if len(items) != len(wanted):
        differs.append("items")
    changed = []
    for n, (item, new) in enumerate(zip(items, wanted, strict=False), 1):
        differs += [
            f"item {n} {name}"
            for name in ITEM_FIELDS
            if name not in PROGRESS_FIELDS and getattr(item, name) != new[name]
        ]
        for name in PROGRESS_FIELDS:
            if new[name] is None or getattr(item, name) == new[name]:
                continue
            if getattr(item, name) is not None:
                differs.append(f"item {n} {name}")
            else:
                setattr(item, name, new[name])
                changed.append(item)
    if differs:
        return "refused", [
            _("Order %(number)s was imported before with other values: %(fields)s.")
            % {"number": order["number"], "fields": ", ".join(differs)}
        ]
    for item in set(changed):
        item.full_clean(exclude=["order"])
        item.save(update_fields=list(PROGRESS_FIELDS))
    return ("updated" if changed else "unchanged"), []


def _errors(form: forms.Form) -> list[str]:
    return [
        f"{name}: {message}" if name != "__all__" else message
        for name, messages in form.errors.items()
        for message in messages
    ]
