"""Reads of customer service, each limited to what the reader may see."""

from django.db.models import Q, QuerySet

from aftersales.models import OPEN_STATES, AfterSalesRequest
from aftersales.selectors import requests_for_buyer, requests_for_seller

from .models import Callback, Conversation
from .services import is_arbitrator_only, is_support


def conversations_for_asker(user) -> QuerySet[Conversation]:
    return Conversation.objects.filter(asker=user).select_related("request__order_item")


def conversations_for_staff(user) -> QuerySet[Conversation]:
    """Support staff: every conversation; arbitrators: those handed over to them."""
    conversations = Conversation.objects.select_related("asker", "request")
    if is_support(user):
        return conversations
    if is_arbitrator_only(user):
        return conversations.exclude(handed_over="")
    return conversations.none()


# Who looks at a conversation, for its pages and its live socket (portals/live.py).
ASKER, SUPPORT, ARBITRATOR = "asker", "support", "arbitrator"


def conversation_seen_by(user, pk) -> tuple[Conversation, str] | None:
    """The conversation and the side ``user`` sees it from: its asker (writes as asking),
    support staff (any conversation in their queue; write as answering), an arbitrator (only
    one handed over to them; reads only); ``None`` for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return None
    conversation = conversations_for_asker(user).filter(pk=pk).first()
    if conversation is not None:
        return conversation, ASKER
    conversation = conversations_for_staff(user).filter(pk=pk).first()
    if conversation is None:
        return None
    return conversation, SUPPORT if is_support(user) else ARBITRATOR


def request_of_party(user, pk) -> AfterSalesRequest | None:
    """A request the user may see as its buyer or seller, else ``None``."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        requests_for_buyer(user).filter(pk=pk).first()
        or requests_for_seller(user).filter(pk=pk).first()
    )


def open_requests_of(user) -> QuerySet[AfterSalesRequest]:
    """The person's open requests, as a buyer or in their shops (for the support queue)."""
    return AfterSalesRequest.objects.filter(
        Q(buyer=user) | Q(shop__members__user=user), state__in=OPEN_STATES
    ).distinct()


def callbacks_of(user, request: AfterSalesRequest) -> QuerySet[Callback]:
    """The asker's own call backs on the request (their number, shown back to them only)."""
    return Callback.objects.filter(request=request, asker=user)
