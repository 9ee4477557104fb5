"""Customer service and call backs in the demo: the staff member works the support queue too;
the main buyer has one question waiting and one answered, closed and rated; a shop owner asks
about a request; the main buyer asked for a call back on an open request. All through
``support.services``, after the story, so that they change nothing of it."""

from datetime import datetime, timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from aftersales.actors import ARBITRATORS_GROUP, SUPPORT_GROUP
from aftersales.models import OPEN_STATES, AfterSalesRequest
from support import services

from .catalogue import MAIN_BUYER, STAFF


def add(marketplace, *, now: datetime) -> None:
    staff = marketplace.users[STAFF[0]]
    # What the data migrations give the groups (again, if the database was emptied since:
    # transactional tests).
    view = Permission.objects.filter(codename__startswith="view_")
    support, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    support.permissions.add(
        *view.filter(content_type__app_label__in=["orders", "aftersales", "disputes", "support"])
    )
    arbitrators, _ = Group.objects.get_or_create(name=ARBITRATORS_GROUP)
    arbitrators.permissions.add(
        *view.filter(
            content_type__app_label="support",
            codename__in=["view_conversation", "view_message", "view_callback"],
        )
    )
    staff.groups.add(support)
    buyer = marketplace.users[MAIN_BUYER]
    seller = marketplace.sellers[0]
    # An open request of the main buyer in the first shop (whose owner is the demo's seller).
    mine = AfterSalesRequest.objects.filter(
        buyer=buyer, state__in=OPEN_STATES, shop=marketplace.shops[0]
    ).order_by("pk")
    shops = AfterSalesRequest.objects.filter(shop=marketplace.shops[0]).order_by("-pk")

    answered = services.open_conversation(
        asker=buyer,
        body="退款显示已退回，但我的支付宝还没有收到，请问多久能到账？",
        now=now - timedelta(days=2, hours=3),
    )
    services.answer(
        conversation=answered,
        actor=staff,
        body="您好，退款原路退回支付宝，一般 1–3 个工作日到账，请留意账单。",
        now=now - timedelta(days=2, hours=2),
    )
    services.close(conversation=answered, actor=buyer, now=now - timedelta(days=2))
    services.rate(
        conversation=answered, actor=buyer, score=5, comment="回复很快", now=now - timedelta(days=2)
    )
    # Tomorrow 14:00–16:00, China time: in business hours.
    afternoon = timezone.localtime(now).replace(hour=14, minute=0, second=0, microsecond=0)
    afternoon += timedelta(days=1)
    if (about := mine.first()) is not None:
        services.open_conversation(
            asker=buyer,
            body="卖家一直没有处理我的申请，平台可以帮忙催一下吗？",
            request=about,
            now=now - timedelta(hours=5),
        )
        services.ask_for_callback(
            request=about,
            actor=buyer,
            phone="+8613800138000",
            window_start=afternoon,
            window_end=afternoon + timedelta(hours=2),
            note="下午方便接听。",
            now=now,  # the request's latest event: its history stays in order
        )
    if (theirs := shops.first()) is not None:
        services.open_conversation(
            asker=seller,
            body="买家寄回的商品与我们发出的不一致，应该如何处理？",
            request=theirs,
            now=now - timedelta(hours=1),
        )
