"""The push endpoint a carrier-tracking service calls with a parcel's trace lines
(README "Parcel tracking"): ``POST /tracking/push/``.

The body is JSON, ``{"carrier", "tracking_number", "events": [{"id", "status", "time",
"place"}]}``. It is signed with ``TRACKING_PUSH_SECRET``: ``X-Tracking-Timestamp`` is the time
of sending (seconds since the epoch, within five minutes of ours) and ``X-Tracking-Signature``
is ``sha256=`` + the hex HMAC-SHA256 of ``"<timestamp>." + raw body``, so an old push cannot be
sent again later. Recording is idempotent by the line's ``id``: the same push twice stores the
lines once and answers 200 both times.

A push for a parcel nobody has registered is answered 404 (not accepted and dropped): a
tracking service retries what was refused, so lines that arrive before the buyer has typed the
tracking number in are recorded on a later try instead of being lost.
"""

import hashlib
import hmac
import json
import time
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from aftersales.models import Carrier, Shipment, TrackingEvent
from aftersales.services.tracking import record_trace
from aftersales.shipping import normalize_tracking_number
from aftersales.tracking import TraceLine

SIGNATURE_HEADER = "X-Tracking-Signature"
TIMESTAMP_HEADER = "X-Tracking-Timestamp"
TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024
MAX_EVENTS = 100


class BadPush(ValueError):
    pass


def signature(secret: str, *, timestamp: str, body: bytes) -> str:
    """The ``X-Tracking-Signature`` header for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _refused(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _signed(request: HttpRequest, secret: str, body: bytes) -> str:
    """``""`` if the push is signed with the secret and fresh; otherwise why not."""
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not given:
        return _("The push must carry the %(signature)s and %(timestamp)s headers.") % {
            "signature": SIGNATURE_HEADER,
            "timestamp": TIMESTAMP_HEADER,
        }
    if not hmac.compare_digest(given, signature(secret, timestamp=timestamp, body=body)):
        return _("The signature does not match the body.")
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return _("The timestamp must be whole seconds since 1970.")
    if age > TOLERANCE_SECONDS:
        return _("The timestamp is more than five minutes away from ours: sign the push again.")
    return ""


def _lines(payload: object) -> tuple[str, str, list[TraceLine]]:
    """The carrier, the tracking number and the trace lines of a push; :class:`BadPush` saying
    what is wrong otherwise."""
    if not isinstance(payload, dict):
        raise BadPush(_("The body must be a JSON object."))
    carrier, number, events = (payload.get(k) for k in ("carrier", "tracking_number", "events"))
    if carrier not in Carrier.values:
        raise BadPush(
            _("Unknown carrier “%(carrier)s”: use one of %(known)s.")
            % {"carrier": carrier, "known": ", ".join(Carrier.values)}
        )
    if not isinstance(number, str) or not number.strip():
        raise BadPush(_("The tracking number is missing."))
    if not isinstance(events, list) or not events:
        raise BadPush(_("“events” must be a list of at least one trace line."))
    if len(events) > MAX_EVENTS:
        raise BadPush(_("At most %(n)d trace lines per push.") % {"n": MAX_EVENTS})
    lines = []
    for n, event in enumerate(events, start=1):
        if not isinstance(event, dict):
            raise BadPush(_("Trace line %(n)d must be an object.") % {"n": n})
        line_id, status, when, place = (event.get(k) for k in ("id", "status", "time", "place"))
        if not isinstance(line_id, str | int) or not str(line_id).strip() or len(str(line_id)) > 90:
            raise BadPush(_("Trace line %(n)d needs an “id” of 1 to 90 characters.") % {"n": n})
        if status not in TrackingEvent.Status.values:
            raise BadPush(
                _("Trace line %(n)d: unknown status “%(status)s”: use one of %(known)s.")
                % {"n": n, "status": status, "known": ", ".join(TrackingEvent.Status.values)}
            )
        happened_at = _moment(when)
        if happened_at is None:
            raise BadPush(
                _("Trace line %(n)d: “time” must be an ISO 8601 time with its UTC offset.")
                % {"n": n}
            )
        if place is not None and (not isinstance(place, str) or len(place) > 100):
            raise BadPush(
                _("Trace line %(n)d: “place” must be text of 100 characters at most.") % {"n": n}
            )
        lines.append(
            TraceLine(
                status=status,
                happened_at=happened_at,
                place=place or "",
                external_id=f"push-{line_id}",
            )
        )
    return carrier, normalize_tracking_number(number), lines


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


@csrf_exempt
@require_POST
def push(request: HttpRequest) -> JsonResponse:
    """Record the trace lines a tracking service pushes (see the module's docstring)."""
    secret = settings.TRACKING_PUSH_SECRET
    if not secret:
        return _refused(503, _("Tracking pushes are not accepted here: no secret is configured."))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django reads no body then; the signature check refuses it
    if declared > MAX_BODY_BYTES:
        return _refused(413, _("The push is too large: at most 64 KB."))
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _refused(413, _("The push is too large: at most 64 KB."))
    if problem := _signed(request, secret, body):
        return _refused(401, problem)
    try:
        carrier, number, lines = _lines(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _refused(400, _("The body is not valid JSON."))
    except BadPush as exc:
        return _refused(400, str(exc))
    parcels = list(Shipment.objects.filter(carrier=carrier, tracking_number=number))
    if not parcels:
        return _refused(404, _("No parcel with this carrier and tracking number is known here."))
    recorded = 0
    for parcel in parcels:
        recorded += len(
            record_trace(shipment=parcel, lines=lines, source=TrackingEvent.Source.PUSH)
        )
    return JsonResponse({"recorded": recorded, "parcels": len(parcels)})
