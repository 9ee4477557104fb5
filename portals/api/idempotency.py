"""``Idempotency-Key`` on every POST: the first answer is kept (per API key and key), and a
repeat gets it again without anything running twice.

- same key, same method, path and body: the first answer (status and body), with the header
  ``Idempotent-Replayed: true``;
- same key, another body or URL: 422 ``idempotency_key_reused``, nothing done;
- same key while the first request is still running: 409 ``idempotency_in_progress``.

Answers are kept for every status below 500; after a 5xx (nothing was written: the action's
transaction rolled back) the key may be used again.
"""

import hashlib
import json
from collections.abc import Callable
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.response import Response

from apikeys.models import IdempotentAnswer

from .errors import error_response

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


def fingerprint(request) -> str:
    """The method, path and body as parsed (JSON, or form fields and files' contents), so a
    repeat of a multipart body with another boundary is still the same request."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "getlist"):  # a form: its fields (DRF adds the files to ``data``)
        data = {k: data.getlist(k) for k in sorted(data) if k not in request.FILES}
    digest.update(json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"\n{name}:{upload.name}:".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def idempotent(handler: Callable) -> Callable:
    """Wrap a view's ``post``. Runs after authentication, so the key is the client's."""

    @wraps(handler)
    def post(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key or len(key) > MAX_LENGTH or not key.isprintable():
            return error_response(
                400,
                "invalid",
                _("The Idempotency-Key header must have 1 to 255 printable characters."),
                fields={HEADER: [_("1 to 255 printable characters.")]},
            )
        print_ = fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotentAnswer.objects.create(
                    api_key=request.auth, key=key, fingerprint=print_
                )
        except IntegrityError:
            return _replay(IdempotentAnswer.objects.get(api_key=request.auth, key=key), print_)
        try:
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)  # raises again for an unexpected error
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
            return response
        record.status = response.status_code
        record.body = json.dumps(response.data, cls=DjangoJSONEncoder)
        record.save(update_fields=["status", "body"])
        return response

    return post


def _replay(record: IdempotentAnswer, print_: str) -> Response:
    if record.fingerprint != print_:
        return error_response(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was used with another request; nothing was done."),
        )
    if record.status is None:
        return error_response(
            409,
            "idempotency_in_progress",
            _("A request with this Idempotency-Key is still running; try again shortly."),
        )
    return Response(
        json.loads(record.body), status=record.status, headers={"Idempotent-Replayed": "true"}
    )
