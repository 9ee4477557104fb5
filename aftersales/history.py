"""The event log and the ledger are history: nobody rewrites them, not even with SQL.

On PostgreSQL, triggers (migration ``0012_history_cannot_be_rewritten``) refuse every ``UPDATE``
and ``DELETE`` of a request event, and of a ledger row every change but its payout status
(``LedgerEntry.PAYOUT_COLUMNS``): a queryset ``update()``, a cascade from a deleted request, a
hand-written statement. SQLite keeps the guard in ``RequestEvent.save()`` and ``delete()``.

One caller may: the demo loader, which deletes its own data on ``load_demo --reset`` and dates
its ledger rows as its story goes (:func:`history_rewrite_allowed`); tests that build a past do
the same. The switch is a setting of the current transaction, so it ends with it; it guards
against mistakes, not against someone who can run SQL as the table's owner (they could drop the
trigger too).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.transaction import TransactionManagementError

REWRITE_SETTING = "aftersales.allow_history_rewrite"


@contextmanager
def history_rewrite_allowed(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside the current transaction, let events and ledger rows be deleted and changed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise TransactionManagementError("Rewriting history needs a transaction to end with.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [REWRITE_SETTING])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'off', true)", [REWRITE_SETTING])
