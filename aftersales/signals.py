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
"""

from collections.abc import Sequence

from django.dispatch import Signal

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
