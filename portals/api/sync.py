"""The list's order and cursor: keyset pagination on ``(updated_at, id)``.

A cursor is the position after the last row a client got. Rows come oldest change first, and
only once they are ``API_SYNC_SETTLE`` old: a change is stamped when its transaction writes
the row and becomes visible when it commits, so a row stamped just before a page was read may
commit just after; waiting out the settle time (far longer than any transaction that changes
a request) means that no row can still appear behind a cursor already handed out. A row that
changes again moves to the end and comes again, with its new state: a sync loop never misses a
change and never gets the same change twice.
"""

import base64
import binascii
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone


class BadCursor(ValueError):
    pass


def encode(updated_at: datetime, pk: int) -> str:
    raw = f"{updated_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, pk = raw.partition("|")
        at = datetime.fromisoformat(moment)
        if timezone.is_naive(at):
            raise ValueError
        return at, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor from error


def settled_until(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - settings.API_SYNC_SETTLE


def page(
    requests: QuerySet,
    *,
    after: tuple[datetime, int] | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> tuple[list, bool]:
    """Up to ``limit`` rows after the cursor, in the sync's order, and whether more follow."""
    horizon = settled_until()
    until = min(until, horizon) if until else horizon
    requests = requests.filter(updated_at__lte=until)
    if since is not None:
        requests = requests.filter(updated_at__gte=since)
    if after is not None:
        at, pk = after
        requests = requests.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
    rows = list(requests.order_by("updated_at", "pk")[: limit + 1])
    return rows[:limit], len(rows) > limit
