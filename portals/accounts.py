"""Signing in: who is trying (the client's address behind the proxy), how many failures each
username and each address may have (django-axes), and the page a locked-out person sees.

The same throttle guards the portal's ``/login/`` and the admin's ``/admin/login/``: both go
through ``django.contrib.auth.authenticate`` with the request, where axes' backend refuses a
locked-out username or address before any password is checked, and axes' signal handler (this
module's :class:`LoginThrottle`) counts every failure.
"""

import ipaddress
import math
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent ``request``.

    Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the address they saw to
    ``X-Forwarded-For`` (nginx's ``$proxy_add_x_forwarded_for``), the client is that many entries
    from the right; anything further left was written by the client itself and proves nothing.
    Without proxies (or without the header) it is the connection's own address.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if count and len(forwarded) >= count:
        candidate = forwarded[-count]
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass  # not what a proxy writes: fall back to the connection's address
    return request.META.get("REMOTE_ADDR", "")


class LoginThrottle(AxesDatabaseHandler):
    """Axes' database handler with one limit per username and another per address.

    A username is locked after ``LOGIN_THROTTLE["USER_FAILURES"]`` failures from anywhere (a
    guessed password); an address after ``LOGIN_THROTTLE["ADDRESS_FAILURES"]`` failures for any
    usernames (one machine trying many accounts), a higher number because an office or a mobile
    network puts many honest people behind one address. Failures count while they are at most
    ``LOGIN_THROTTLE["MINUTES"]`` old; the lock lifts when enough of them have aged out.
    Attempts made while locked are refused and not counted, so the time the lockout page
    announces holds.
    """

    def rules(self, request: HttpRequest, credentials: dict | None) -> list[tuple[QuerySet, int]]:
        by_user, by_address = self.get_user_attempts(request, credentials)
        limits = settings.LOGIN_THROTTLE
        return [(by_user, limits["USER_FAILURES"]), (by_address, limits["ADDRESS_FAILURES"])]

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """What axes compares with ``AXES_FAILURE_LIMIT`` (the per-username limit): the
        username's failures, or that limit itself once the address has reached its own."""
        (by_user, user_limit), (by_address, address_limit) = self.rules(request, credentials)
        failures = _failures(by_user)
        if _failures(by_address) >= address_limit:
            return max(failures, user_limit)
        return failures

    def locked_until(self, request: HttpRequest, credentials: dict | None) -> datetime | None:
        """When signing in works again for this request's username and address, or ``None``
        if neither is locked. Failures age out oldest first; a rule's lock lifts when the
        failures left fall under its limit."""
        cool_off = get_cool_off(request)
        ends = []
        for attempts, limit in self.rules(request, credentials):
            rows = list(
                attempts.order_by("attempt_time").values_list(
                    "attempt_time", "failures_since_start"
                )
            )
            left = sum(failures for _when, failures in rows)
            for when, failures in rows:
                if left < limit:
                    break
                left -= failures
                if left < limit:
                    ends.append(when + cool_off)
        return max(ends, default=None)


def _failures(attempts: QuerySet) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The lockout page (``AXES_LOCKOUT_CALLABLE``): when to try again, in the site's look, or
    the admin's for the admin's login. 429 Too Many Requests."""
    now = timezone.now()
    until = LoginThrottle().locked_until(request, credentials) or now + get_cool_off(request)
    context = {"until": until, "minutes": max(1, math.ceil((until - now).total_seconds() / 60))}
    if request.path.startswith(reverse("admin:index")):
        context |= admin.site.each_context(request)
        return render(request, "admin/locked_out.html", context, status=429)
    return render(request, "registration/locked_out.html", context, status=429)
