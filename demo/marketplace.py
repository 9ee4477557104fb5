"""The demo's people, shops and orders, written straight to the database.

There is no checkout to go through, so they are created in bulk: 340 orders over the last 60
days, most delivered, some in transit, a few not shipped yet, and a few parcels lost on the
way. The main buyer's orders are placed on purpose, in every shop, old and recent.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from aftersales.actors import ARBITRATORS_GROUP
from orders.models import Order, OrderItem, ReturnAddress, Shop, ShopMember

from .catalogue import (
    ADMIN,
    BOUGHT_INSURANCE_SHARE,
    BUYERS,
    CITIES,
    INSURING_SHOP,
    MAIN_BUYER,
    PASSWORD,
    REGION_OF_CITY,
    SHOPS,
    STAFF,
    Product,
)

User = get_user_model()

ORDER_COUNT = 340
ORDER_DAYS = 60
CENT = Decimal("0.01")
D = Decimal


@dataclass
class Purchase:
    """An order item with what the scenarios choose by: its shop, its buyer, the product."""

    item: OrderItem
    shop: int  # index in SHOPS
    buyer: str
    product: Product
    used: bool = False  # a scenario has filed its request on it

    @property
    def category(self) -> str:
        if self.item.delivered_at:
            return "delivered"
        return "in_transit" if self.item.shipped_at else "not_shipped"


class Marketplace:
    """Builds the people, shops and orders, and keeps them for the scenarios to play on.

    Draws from the load's random generator, in a fixed order, so two loads build the same
    marketplace.
    """

    def __init__(self, *, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.users: dict[str, User] = {}
        self.shops: list[Shop] = []
        self.sellers: list[User] = []  # each shop's owner, by shop index
        self.purchases: list[Purchase] = []
        self.kept_users: list[str] = []  # demo usernames that already existed
        self.password = ""

    def build(self) -> None:
        self._people()
        self._shops()
        self._orders()

    # --- people and shops ----------------------------------------------------------------

    def _user(self, username, family, given, **extra) -> User:
        joined = self.now - timedelta(days=self.rng.uniform(90, 900))
        existing = User.objects.filter(username=username).first()
        if existing is not None:  # e.g. an ``admin`` made with createsuperuser: keep it as is
            self.kept_users.append(username)
            self.users[username] = existing
            return existing
        user = User.objects.create(
            username=username,
            email=f"{username}@example.com",
            first_name=given,
            last_name=family,
            password=self.password,
            date_joined=joined,
            **extra,
        )
        self.users[username] = user
        return user

    def _people(self) -> None:
        self.password = make_password(PASSWORD)  # hashed once: every demo user has the same one
        for username, family, given in BUYERS:
            self._user(username, family, given)
        staff = self._user(*STAFF, is_staff=True)
        group, _ = Group.objects.get_or_create(name=ARBITRATORS_GROUP)
        if not group.permissions.exists():
            # Without model permissions a staff user sees an empty admin.
            group.permissions.set(
                Permission.objects.filter(
                    content_type__app_label__in=["orders", "aftersales", "disputes", "guidance"],
                    codename__startswith="view_",
                )
            )
        staff.groups.add(group)
        self._user(*ADMIN, is_staff=True, is_superuser=True)

    def _shops(self) -> None:
        for spec in SHOPS:
            shop = Shop.objects.create(name=spec.name, **spec.policy)
            recipient, phone, address = spec.address
            ReturnAddress.objects.create(
                shop=shop, recipient=recipient, phone=phone, address=address, is_default=True
            )
            if spec.warehouse:
                recipient, phone, address = spec.warehouse
                ReturnAddress.objects.create(
                    shop=shop, recipient=recipient, phone=phone, address=address
                )
            if spec.repair_point:
                recipient, phone, address = spec.repair_point
                ReturnAddress.objects.create(
                    shop=shop,
                    recipient=recipient,
                    phone=phone,
                    address=address,
                    purpose=ReturnAddress.Purpose.REPAIR,
                )
            owner = self._user(*spec.owner)
            ShopMember.objects.create(shop=shop, user=owner, role=ShopMember.Role.OWNER)
            self.shops.append(shop)
            self.sellers.append(owner)

    # --- orders --------------------------------------------------------------------------

    def _orders(self) -> None:
        rng, now = self.rng, self.now
        addresses = {}
        for username, family, given in BUYERS:
            phone = f"1{rng.randrange(30, 99)}{rng.randrange(10**8):08d}"
            flat = f"{rng.randint(1, 30)} 栋 {rng.randint(1, 28)}{rng.randint(1, 4):02d} 室"
            addresses[username] = f"{family}{given} {phone} {rng.choice(CITIES)} {flat}"
        # The main buyer's orders are placed on purpose: in every shop, old and recent, one
        # paid a few hours ago (not shipped yet), and one in the seller's shop and one in the
        # electronics shop bought before their warranty began (400 and 800 days ago): items a
        # repair is paid for (the shop quotes a fee).
        plan: list[tuple[str, int, float]] = [
            (MAIN_BUYER, shop, age + (rng.uniform(-0.3, 0.3) if age > 1 else 0))
            for shop, ages in enumerate(
                (
                    (
                        0.2,
                        1.5,
                        3,
                        4.5,
                        6.5,
                        8,
                        9.5,
                        11,
                        12.5,
                        14,
                        17,
                        20,
                        24,
                        28,
                        33,
                        39,
                        46,
                        53,
                        400,
                    ),
                    (2.5, 6, 9, 11, 13, 18, 25, 31, 44),
                    (4, 7.5, 11, 16, 22, 30, 41, 55, 800),
                    (5.5, 10, 15, 27, 49),
                )
            )
            for age in ages
        ]
        others = [b[0] for b in BUYERS if b[0] != MAIN_BUYER]
        weights = [spec.weight for spec in SHOPS]
        picks = others * 5 + [
            rng.choice(others) for _ in range(ORDER_COUNT - len(plan) - 5 * len(others))
        ]
        for username in picks:
            shop = rng.choices(range(len(SHOPS)), weights)[0]
            plan.append((username, shop, rng.uniform(0.02, ORDER_DAYS - 0.3)))
        plan.sort(key=lambda row: -row[2])  # oldest first, so numbers and pks follow time

        orders, lines = [], []
        numbers: set[str] = set()
        for username, shop_index, age in plan:
            paid_at = now - timedelta(days=age)
            number = f"{timezone.localtime(paid_at):%y%m%d}{rng.randrange(10**12, 10**13)}"
            while number in numbers:
                number = f"{number[:6]}{rng.randrange(10**12, 10**13)}"
            numbers.add(number)
            order = Order(
                number=number,
                buyer=self.users[username],
                shop=self.shops[shop_index],
                payment_method=rng.choices(
                    [m for m, _ in Order.PaymentMethod.choices], [11, 4, 2, 3]
                )[0],
                shipping_address=addresses[username],
                paid_at=paid_at,
                **self._insurance(number, shop_index, addresses[username]),
            )
            orders.append(order)
            products = SHOPS[shop_index].products
            count = min(rng.choices([1, 2, 3], [60, 28, 12])[0], len(products))
            # Shops ship from 8 hours after payment; items of one order may ship apart (拆单).
            ship_after = timedelta(hours=rng.uniform(8, 48))
            for product in rng.sample(products, count):
                lines.append((order, shop_index, username, product, ship_after))
        Order.objects.bulk_create(orders)

        items = []
        for order, shop_index, username, product, ship_after in lines:
            sku, price = self.rng.choice(product.variants)
            item = self._item(order, product.title, sku, D(price), ship_after)
            items.append(item)
            self.purchases.append(Purchase(item, shop_index, username, product))
        self._lose_parcels()
        OrderItem.objects.bulk_create(items)

    @staticmethod
    def _insurance(number: str, shop_index: int, address: str) -> dict[str, str]:
        """The buyer's region (from the city of the address) and the order's return-shipping
        insurance: 退货宝 on every order of the shop that gives it, bought by the buyer on some
        others. Drawn from the order number, not the load's generator, so that the rest of
        the marketplace stays as it was."""
        region = next(
            (region for prefix, region in REGION_OF_CITY.items() if prefix in address), ""
        )
        if shop_index == INSURING_SHOP:
            insurance = Order.Insurance.SHOP_GIFT
        elif random.Random(f"insurance-{number}").random() < BOUGHT_INSURANCE_SHARE:
            insurance = Order.Insurance.BOUGHT
        else:
            insurance = ""
        return {"region": region, "return_insurance": insurance}

    def _item(self, order, title, sku, unit_price, ship_after) -> OrderItem:
        rng, now = self.rng, self.now
        quantity = rng.choices([1, 2, 3], [72, 21, 7])[0]
        subtotal = unit_price * quantity
        roll = rng.random()
        if roll < 0.55:
            paid = subtotal
        elif roll < 0.8:  # a shop coupon: ¥5–30 off, never below half the price
            paid = subtotal - min(D(rng.choice([5, 10, 15, 20, 30])), subtotal / 2)
        else:  # a platform discount: 88–95 %
            paid = subtotal * D(rng.choice(["0.88", "0.9", "0.95"]))
        paid = paid.quantize(CENT, rounding=ROUND_DOWN)
        shipped_at = delivered_at = None
        if rng.random() < 0.25:
            ship_after += timedelta(hours=rng.uniform(2, 30))
        if order.paid_at + ship_after < now - timedelta(minutes=10):
            shipped_at = order.paid_at + ship_after
            transit = timedelta(hours=rng.uniform(20, 96))
            if shipped_at + transit < now:
                delivered_at = shipped_at + transit
        return OrderItem(
            order=order,
            title=title,
            sku=sku,
            unit_price=unit_price,
            quantity=quantity,
            amount_paid=paid,
            shipped_at=shipped_at,
            delivered_at=delivered_at,
        )

    def _lose_parcels(self) -> None:
        """A few parcels stuck in transit for a week or more: room for 未收到货 requests."""
        for shop_index in range(len(SHOPS)):
            old = [
                purchase
                for purchase in self.purchases
                if purchase.shop == shop_index
                and purchase.buyer != MAIN_BUYER
                and purchase.item.delivered_at
                and timedelta(days=10) < self.now - purchase.item.shipped_at < timedelta(days=40)
            ]
            for purchase in self.rng.sample(old, min(3, len(old))):
                purchase.item.delivered_at = None
