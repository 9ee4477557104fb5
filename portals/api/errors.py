"""One shape for every error the API answers (documented in the schema as ``Error``)::

    {"error": {"code": "stale", "message": "…", "fields": {"name": ["…"]}, "current": {…}}}

``code`` is stable and meant for programs; ``message`` is for people, in the request's language
(``Accept-Language``); ``fields`` names what was wrong with the input (``__all__`` for the
whole of it); ``current`` is the request as it now is, on a 409 for a stale action.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from aftersales.errors import ActionNotAllowed, AfterSalesError, StaleAction

CODES = {
    exceptions.ParseError: "bad_json",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}


class ApiError(exceptions.APIException):
    """An answer in the error shape: ``status``, ``code``, the message, fields, the request."""

    def __init__(self, status_code: int, code: str, message, *, fields=None, current=None):
        super().__init__(str(message), code)
        self.status_code, self.code = status_code, code
        self.fields, self.current = fields or {}, current


def body(code: str, message, *, fields=None, current=None) -> dict:
    error = {"code": code, "message": str(message), "fields": fields or {}}
    if current is not None:
        error["current"] = current
    return {"error": error}


def invalid(fields: dict) -> ApiError:
    """400 with the fields' messages (a Django form's ``errors``)."""
    fields = {name: [str(m) for m in messages] for name, messages in fields.items()}
    return ApiError(
        400, "invalid", _("Some fields are not valid; nothing was done."), fields=fields
    )


def from_service(error: AfterSalesError, current=None) -> ApiError:
    """A service's refusal: 409 when the request moved on, 403 when the shop may not take the
    action at all, 400 for input the service refused (its message says why)."""
    if isinstance(error, StaleAction):
        return ApiError(409, "stale", error.message, current=current)
    if isinstance(error, ActionNotAllowed):
        return ApiError(403, "not_allowed", error.message, current=current)
    return ApiError(400, "invalid", error.message, fields={"__all__": [str(error.message)]})


def handle(exc, context):
    """DRF's exception handler, answering in the one shape (and keeping its headers, such as
    ``Retry-After`` on 429 and ``WWW-Authenticate`` on 401)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        response.data = body(exc.code, exc.detail, fields=exc.fields, current=exc.current)
        return response
    code = next((code for kind, code in CODES.items() if isinstance(exc, kind)), "error")
    fields = {}
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"__all__": exc.detail}
        fields = {name: [str(m) for m in _flat(messages)] for name, messages in detail.items()}
        message = _("Some fields are not valid; nothing was done.")
    else:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    response.data = body(code, message, fields=fields)
    return response


def _flat(messages):
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in _flat(v)]
    if isinstance(messages, list):
        return [m for item in messages for m in _flat(item)]
    return [messages]


def error_response(status_code: int, code: str, message, **kwargs) -> Response:
    return Response(body(code, message, **kwargs), status=status_code)


__all__ = ["ApiError", "body", "error_response", "from_service", "handle", "invalid", "status"]
