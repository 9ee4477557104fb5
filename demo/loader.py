"""Loading the demo marketplace, and deleting it again.

The shops, people and orders are written in bulk (:mod:`demo.marketplace`); every after-sales
request is then driven through the services (:mod:`demo.steps`), and finished requests are
rated (:mod:`demo.ratings`). Everything is drawn from one ``random.Random(SEED)`` and the time
of loading, so two loads produce the same marketplace. The load runs in the caller's
transaction; notifications and payouts the services register with ``transaction.on_commit``
run when it commits (see the ``load_demo`` command).
"""

import contextlib
import os
import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, ProtectedError, Q, QuerySet
from django.utils import timezone

from aftersales.history import history_rewrite_allowed
from aftersales.models import (
    AfterSalesRequest,
    AutomationRule,
    Dispute,
    Evidence,
    LedgerEntry,
    Message,
    Ruling,
    State,
)
from disputes.models import Complaint
from guidance.articles import seed_articles
from guidance.models import Article
from orders.models import Order, OrderItem, Shop
from support.models import Callback, Conversation

from . import customer_service, faster
from .catalogue import BUYERS, DEMO_USERNAMES, MAIN_BUYER, SHOP_NAMES
from .marketplace import Marketplace
from .ratings import rate_finished_requests
from .scenarios import SCENARIOS, DemoError
from .steps import ScenarioPlayer

User = get_user_model()

SEED = 2026


def is_loaded() -> bool:
    return (
        User.objects.filter(username=MAIN_BUYER).exists()
        or Shop.objects.filter(name__in=SHOP_NAMES).exists()
    )


def demo_shops() -> QuerySet[Shop]:
    return Shop.objects.filter(name__in=SHOP_NAMES)


def load(*, now: datetime | None = None) -> list[str]:
    """Build the whole demo marketplace. Call inside a transaction (the command does).

    Returns the demo usernames that already existed and were kept as they were.
    """
    now = now or timezone.now()
    rng = random.Random(SEED)
    marketplace = Marketplace(rng=rng, now=now)
    player = ScenarioPlayer(marketplace, rng=rng, now=now)
    try:
        # The story dates its ledger rows as it goes (they are stamped with the wall clock).
        with history_rewrite_allowed():
            marketplace.build()
            for scenario in SCENARIOS:
                player.play(scenario)
            rate_finished_requests(player.request_ids, rng=rng, now=now)
            # After the story, so that they change nothing of it (demo.faster).
            faster.switch_on_rules(marketplace.shops[0], owner=marketplace.sellers[0])
            faster.past_purchases(marketplace.users[MAIN_BUYER], marketplace.shops, now=now)
            faster.standings([marketplace.users[username] for username, *_ in BUYERS], now=now)
            customer_service.add(marketplace, now=now)
        # The guide's articles come with the migrations; a database emptied since gets them back.
        seed_articles(Article)
    except BaseException:
        # The rows roll back with the transaction; the evidence files already written would not.
        _discard_evidence_files(player.request_ids)
        raise
    return marketplace.kept_users


def delete() -> dict[str, int]:
    """Delete the demo data: the demo shops with everything hanging off them, and the demo users.

    The querysets go children first because the foreign keys that hold a request (its order,
    item, shop and buyer) are ``PROTECT``, as are those of complaints, disputes, rulings and
    ledger rows: nothing goes while something still refers to it. Deleting the requests
    cascades to their events, messages, evidence, shipments, proposals, notifications and
    reviews, in bulk. The event log and the ledger refuse deletion (a model-level ``delete()``
    in Python; on PostgreSQL a trigger refuses any): this transaction, the demo's own, is let
    through (:func:`aftersales.history.history_rewrite_allowed`).

    A row outside the demo that refers to a demo user (an order in another shop, a ruling on
    another shop's dispute) stops the deletion with :class:`DemoError` rather than going with
    it. Evidence files are removed from storage once the transaction commits.
    """
    shops = demo_shops()
    requests = AfterSalesRequest.objects.filter(shop__in=shops)
    files = [
        name
        for pair in Evidence.objects.filter(request__in=requests).values_list("file", "thumbnail")
        for name in pair
        if name
    ]
    children_first = (
        # Customer service: conversations (and their messages) refer to complaints, disputes
        # and requests; call backs to requests.
        Conversation.objects.filter(
            Q(request__in=requests) | Q(asker__username__in=DEMO_USERNAMES)
        ),
        Callback.objects.filter(request__in=requests),
        Complaint.objects.filter(shop__in=shops),
        Ruling.objects.filter(dispute__request__in=requests),
        Dispute.objects.filter(request__in=requests),  # and the staff's evidence requests
        LedgerEntry.objects.filter(order_item__order__shop__in=shops),
        requests,
        Order.objects.filter(shop__in=shops),  # and their items
        AutomationRule.objects.filter(shop__in=shops),  # they hold on to return addresses
        shops,  # and their return addresses and members
        User.objects.filter(username__in=DEMO_USERNAMES),  # and their notifications
    )
    deleted: Counter[str] = Counter()
    with history_rewrite_allowed():
        for queryset in children_first:
            try:
                deleted.update(queryset.delete()[1])
            except ProtectedError as exc:
                blockers = sorted({obj._meta.label for obj in exc.protected_objects})
                raise DemoError(
                    f"Could not delete the demo's {queryset.model._meta.label} rows: "
                    f"{', '.join(blockers)} rows outside the demo data refer to them. "
                    "Delete those first."
                ) from exc
    transaction.on_commit(lambda: _delete_files(files))
    return dict(deleted)


def fix_payout_times(since: datetime) -> None:
    """Payouts ran when the load committed; date them a few minutes after their ledger row."""
    LedgerEntry.objects.filter(request__shop__in=demo_shops(), paid_at__gte=since).update(
        paid_at=F("created_at") + timedelta(minutes=3)
    )


def summary() -> dict:
    shops = demo_shops()
    requests = AfterSalesRequest.objects.filter(shop__in=shops)
    by_state = Counter(requests.values_list("state", flat=True))
    ledger = LedgerEntry.objects.filter(request__in=requests)
    return {
        "shops": shops.count(),
        "buyers": User.objects.filter(orders__shop__in=shops).distinct().count(),
        "orders": Order.objects.filter(shop__in=shops).count(),
        "items": OrderItem.objects.filter(order__shop__in=shops).count(),
        "requests": requests.count(),
        "by_state": {state: by_state.get(state, 0) for state in State.values},
        "by_kind": dict(Counter(requests.values_list("kind", flat=True))),
        "disputes": Dispute.objects.filter(request__in=requests).count(),
        "rulings": Ruling.objects.filter(dispute__request__in=requests).count(),
        "ledger": dict(Counter(ledger.values_list("status", flat=True))),
        "evidence": Evidence.objects.filter(request__in=requests).count(),
        "messages": Message.objects.filter(request__in=requests).count(),
    }


# --- evidence files ------------------------------------------------------------------------


def _delete_files(names: Sequence[str]) -> None:
    folders = set()
    for name in names:
        default_storage.delete(name)
        folders.add(os.path.dirname(name))
    for folder in folders:  # evidence/<request id>/, now empty, on a file-system storage
        with contextlib.suppress(NotImplementedError, OSError):
            os.rmdir(default_storage.path(folder))


def _discard_evidence_files(request_ids: Sequence[int]) -> None:
    """Remove what a failed load wrote under ``evidence/<request id>/`` (ids it created)."""
    for request_id in request_ids:
        folder = f"evidence/{request_id}"
        try:
            _, names = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError):
            continue
        _delete_files([f"{folder}/{name}" for name in names])
