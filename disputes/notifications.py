"""Reminders of a dispute's deadlines (SPEC §8: "24 h before a deadline expires"): the side the
platform asked for evidence, and the shop whose answer to the dispute is due.

They are told the way a request's own reminders tell them (:mod:`aftersales.notifications`):
an entry in their notification centre, of its own kind, and an e-mail. The entries are written
in the caller's transaction, the one that stamps ``reminded_at``, so each deadline gets its
entries exactly once; the e-mails go when that transaction commits.
"""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.models import AfterSalesRequest, Dispute, Notification, Role
from aftersales.notifications import parties, request_url
from aftersales.signals import send_live
from orders.preferences import language_of

from .models import EvidenceRequest


def remind_of_evidence(ask: EvidenceRequest) -> int:
    """Remind the side asked for evidence that it is due; the number of people told."""
    request = ask.dispute.request

    def message() -> tuple[str, list[str]]:
        subject = _(
            "Reminder: the platform needs your evidence for after-sales request #%(id)s"
        ) % {"id": request.pk}
        after = _("After the deadline the platform rules on the evidence it has.")
        return subject, [request.order_item.title, ask.question, _deadline(ask.due_at), after]

    return _remind(
        request, Role(ask.party), kind=Notification.Kind.EVIDENCE_DUE, due_at=ask.due_at,
        message=message,
    )  # fmt: skip


def remind_of_answer(dispute: Dispute) -> int:
    """Remind the shop that its answer to the dispute is due; the number of people told."""
    request = dispute.request

    def message() -> tuple[str, list[str]]:
        subject = _("Reminder: answer the dispute about after-sales request #%(id)s") % {
            "id": request.pk
        }
        after = _("After the deadline the platform rules without your answer.")
        return subject, [request.order_item.title, _deadline(dispute.seller_answer_due_at), after]

    return _remind(
        request, Role.SELLER, kind=Notification.Kind.ANSWER_DUE,
        due_at=dispute.seller_answer_due_at, message=message,
    )  # fmt: skip


def _deadline(due_at: datetime) -> str:
    return _("Answer by %(due)s (Beijing time).") % {
        "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
    }


def _remind(
    request: AfterSalesRequest,
    audience: Role,
    *,
    kind: str,
    due_at: datetime,
    message: Callable[[], tuple[str, list[str]]],
) -> int:
    """The entries now, in the caller's transaction; one e-mail each, in the recipient's
    language with a link to the request, once that transaction commits."""
    recipients = parties(request, audience)
    Notification.objects.bulk_create(
        Notification(recipient=user, request=request, kind=kind, audience=audience, due_at=due_at)
        for user in recipients
    )
    link = settings.SITE_URL + request_url(request.pk, audience)
    messages = []
    for user in recipients:  # one message each: parties never see each other's addresses
        if not user.email:
            continue
        with translation.override(language_of(user)):
            subject, lines = message()
            body = "\n".join([*lines, "", _("Open the request: %(url)s") % {"url": link}])
        messages.append((subject, body, None, [user.email]))
    transaction.on_commit(lambda: send_mass_mail(messages), robust=True)
    if recipients:
        user_ids = [user.pk for user in recipients]
        transaction.on_commit(lambda: send_live("notified", user_ids=user_ids), robust=True)
    return len(recipients)
