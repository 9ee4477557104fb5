"""Extension hooks: what other apps may hear about without the after-sales core knowing them.

STYLE.md allows signals only as decoupled extension hooks, and this is one: layers point down,
so the core cannot call the apps above it (the webhooks), and they connect here instead
(``AppConfig.ready``). No business logic runs through it: every state change is complete,
committed and notified before the hook fires.

:data:`committed` is sent by the tasks that announce what happened (:mod:`aftersales.tasks`),
in the worker, after the transaction that wrote it has committed, with the ids of

- ``events``: the request events written (every transition and logged activity),
- ``messages``: the messages posted to a request's thread,
- ``reminders``: the requests whose current deadline was just reminded of.

A task may run twice (it acknowledges late and is re-queued if its worker dies), so a receiver
must be idempotent: hearing the same ids again changes nothing.

:data:`live` is what the pages that are open right now may show without a reload (the live
conversation, the header's unread count; ``portals.live`` connects). It is sent in the process
that wrote it, once the transaction has committed (``transaction.on_commit``), never through
the broker: it is a nudge, and a page that misses one still shows everything on its next load.
Its ``what`` is one of

- ``"message"``: a message was posted (``request_id``, ``message_id``),
- ``"read"``: a party read the other side's messages (``request_id``, ``reader_role``,
  ``message_ids``, ``read_at``),
- ``"notified"``: notifications were written for these people (``user_ids``).
"""

import logging
from collections.abc import Sequence

from django.dispatch import Signal

logger = logging.getLogger(__name__)

committed = Signal()


def send_committed(
    *, events: Sequence[int] = (), messages: Sequence[int] = (), reminders: Sequence[int] = ()
) -> None:
    """Tell the receivers; one that fails raises (the task logs it), the others still hear."""
    for _receiver, outcome in committed.send_robust(
        sender=None, events=list(events), messages=list(messages), reminders=list(reminders)
    ):
        if isinstance(outcome, Exception):
            raise outcome


live = Signal()


def send_live(what: str, **details) -> None:
    """Tell the open pages; a receiver that fails is logged, never raised: what it announces
    has already happened."""
    for _receiver, outcome in live.send_robust(sender=None, what=what, **details):
        if isinstance(outcome, Exception):
            logger.warning("live update %s not sent: %r", what, outcome)
