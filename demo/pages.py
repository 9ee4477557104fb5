"""Every page of every portal, as a demo user reaches it, for looking at them all at once.

``pages()`` reads the loaded demo (``load_demo``) and names, for each demo login, the pages that
person can open: the buyer's orders, the application steps (a return, an exchange, a paid
repair), the request list, request pages in each state the buyer has one in, and the revise,
escalate, complain and review forms; the seller's queue, request pages in several states, API
keys and webhooks; the staff's admin index, dispute queue and case files, and complaints; and
the sign-in page and the help centre (/help/: the guide, a search, two articles, the deadline
table) for nobody signed in (login ``""``).
``make screenshots`` (``bin/screenshots.py``) photographs them; the browser tests visit them.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from aftersales.models import Action, AfterSalesRequest, Dispute, Kind, Reason, Role
from disputes.models import Complaint
from disputes.services import may_complain
from guidance.models import Article
from orders.models import OrderItem
from reviews.services import can_review
from support.models import Callback, Conversation

from .catalogue import MAIN_BUYER, SHOPS

SELLER, STAFF = "seller", "staff"


@dataclass(frozen=True)
class Page:
    login: str  # the demo user who opens it; "" for nobody signed in
    name: str  # a short file-name-safe name: "buyer-request-rejected"
    path: str


def pages() -> list[Page]:
    return [*_anonymous(), *_buyer(), *_seller(), *_staff(), *_customer_service()]


def _anonymous() -> list[Page]:
    found = [
        Page("", "login", reverse("login")),
        Page("", "help-index", reverse("help:index")),
        Page("", "help-search", f"{reverse('help:index')}?q=%E8%BF%90%E8%B4%B9"),  # 运费
        Page("", "help-search-en", f"{reverse('help:index')}?q=postage"),
        Page("", "help-deadlines", reverse("help:deadlines")),
    ]
    # one article on a kind and one on a reason (售后指导)
    for topic in (Kind.RETURN_REFUND, Reason.QUALITY_PROBLEM):
        article = Article.objects.published().filter(topic=topic).first()
        if article is not None:
            path = reverse("help:article", args=[article.slug])
            found.append(Page("", f"help-article-{article.slug}", path))
    return found


def _one_per_state(requests) -> dict[str, AfterSalesRequest]:
    """The most recent request in each state."""
    chosen: dict[str, AfterSalesRequest] = {}
    for request in requests.order_by("-created_at"):
        chosen.setdefault(request.state, request)
    return chosen


def _buyer() -> list[Page]:
    buyer = get_user_model().objects.get(username=MAIN_BUYER)
    mine = AfterSalesRequest.objects.filter(buyer=buyer)
    fresh = (
        OrderItem.objects.filter(order__buyer=buyer, delivered_at__isnull=False)
        .filter(aftersales_requests__isnull=True)
        .order_by("-order__paid_at")
        .first()
    )
    found = [
        Page(MAIN_BUYER, "buyer-my-orders", reverse("home")),
        Page(MAIN_BUYER, "buyer-requests", reverse("buyer:request_list")),
        Page(MAIN_BUYER, "buyer-notifications", reverse("notifications:list")),
    ]
    if fresh is not None:
        apply = reverse("buyer:apply", args=[fresh.pk])
        found += [
            Page(MAIN_BUYER, "buyer-apply-kind", apply),
            Page(MAIN_BUYER, "buyer-apply-return", f"{apply}?kind=return_refund"),
            Page(MAIN_BUYER, "buyer-apply-exchange", f"{apply}?kind=exchange"),
        ]
    # the oldest item, bought before its warranty began: a repair of it is paid for
    old = (
        OrderItem.objects.filter(order__buyer=buyer, delivered_at__isnull=False)
        .filter(aftersales_requests__isnull=True)
        .order_by("order__paid_at")
        .first()
    )
    if old is not None:
        apply = reverse("buyer:apply", args=[old.pk])
        found.append(Page(MAIN_BUYER, "buyer-apply-paid-repair", f"{apply}?kind=repair"))
    for state, request in sorted(_one_per_state(mine).items()):
        found.append(
            Page(
                MAIN_BUYER,
                f"buyer-request-{state}",
                reverse("buyer:request_detail", args=[request.pk]),
            )
        )
    now = timezone.now()
    forms = {
        "revise": ("buyer:resubmit", lambda r: r.allows(Action.RESUBMIT, Role.BUYER)),
        "escalate": ("buyer:escalate", lambda r: r.allows(Action.ESCALATE, Role.BUYER)),
        "complain": (
            "buyer:complain",
            lambda r: may_complain(r) and not Complaint.objects.filter(request=r).exists(),
        ),
        "review": ("reviews:review", lambda r: can_review(r, now=now)),
    }
    for name, (url, fits) in forms.items():
        request = next((r for r in mine.order_by("-created_at") if fits(r)), None)
        if request is not None:
            found.append(Page(MAIN_BUYER, f"buyer-{name}", reverse(url, args=[request.pk])))
    shop = mine.order_by("-created_at").values_list("shop_id", flat=True).first()
    if shop is not None:
        found.append(Page(MAIN_BUYER, "buyer-shop-page", reverse("reviews:shop", args=[shop])))
    return found


def _seller() -> list[Page]:
    theirs = AfterSalesRequest.objects.filter(shop__name=SHOPS[0].name)
    found = [
        Page(SELLER, "seller-dashboard", reverse("seller:dashboard")),
        Page(SELLER, "seller-notifications", reverse("notifications:list")),
        Page(SELLER, "seller-api-keys", reverse("seller:api_keys")),
        Page(SELLER, "seller-webhooks", reverse("seller:webhooks")),
        Page(SELLER, "seller-rules", reverse("seller:rules")),
        Page(SELLER, "seller-rule-new", reverse("seller:rule_new")),
    ]
    for state, request in sorted(_one_per_state(theirs).items()):
        found.append(
            Page(
                SELLER,
                f"seller-request-{state}",
                reverse("seller:request_detail", args=[request.pk]),
            )
        )
    return found


def _staff() -> list[Page]:
    found = [
        Page(STAFF, "staff-admin-index", reverse("admin:index")),
        Page(STAFF, "staff-dispute-queue", reverse("admin:aftersales_dispute_changelist")),
        Page(STAFF, "staff-complaints", reverse("admin:disputes_complaint_changelist")),
        Page(STAFF, "staff-guidance-articles", reverse("admin:guidance_article_changelist")),
    ]
    for status in Dispute.Status:
        dispute = Dispute.objects.filter(status=status).order_by("-opened_at").first()
        if dispute is not None:
            path = reverse("admin:aftersales_dispute_change", args=[dispute.pk])
            found.append(Page(STAFF, f"staff-dispute-{status}", path))
    complaint = Complaint.objects.order_by("-pk").first()
    if complaint is not None:
        path = reverse("admin:disputes_complaint_change", args=[complaint.pk])
        found.append(Page(STAFF, "staff-complaint", path))
    return found


def _customer_service() -> list[Page]:
    """Customer service for the asker (buyer and seller) and the staff's queues; a call back."""
    found = [
        Page(MAIN_BUYER, "buyer-contact-list", reverse("support:conversation_list")),
        Page(MAIN_BUYER, "buyer-contact-new", reverse("support:conversation_new")),
        Page(STAFF, "staff-contact-queue", reverse("admin:support_conversation_changelist")),
        Page(STAFF, "staff-callback-queue", reverse("admin:support_callback_changelist")),
    ]
    for conversation in Conversation.objects.select_related("asker").order_by("pk"):
        login = conversation.asker.get_username()
        if login not in (MAIN_BUYER, SELLER):
            continue
        name = f"{'buyer' if login == MAIN_BUYER else 'seller'}-contact-{conversation.status}"
        found.append(Page(login, name, reverse("support:conversation", args=[conversation.pk])))
        path = reverse("admin:support_conversation_change", args=[conversation.pk])
        found.append(Page(STAFF, f"staff-{name}", path))
    callback = Callback.objects.order_by("pk").first()
    if callback is not None:
        found += [
            Page(
                MAIN_BUYER,
                "buyer-callback-new",
                reverse("support:callback_new", args=[callback.request_id]),
            ),
            Page(
                SELLER,
                "seller-request-with-callback",
                reverse("seller:request_detail", args=[callback.request_id]),
            ),
            Page(
                STAFF,
                "staff-callback",
                reverse("admin:support_callback_change", args=[callback.pk]),
            ),
        ]
    return found
