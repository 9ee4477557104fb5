"""The Content-Security-Policy (issue 12, row 8): every HTML page carries it, and nothing the
site writes needs an exception to it (no inline script, style or event handler). The browser
tests check the pages really work under it (tests/browser/conftest.py)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.models import State
from tests.aftersales.factories import request_in
from tests.orders.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",  # the previews of chosen photos
    "media-src 'self'",
    "connect-src 'self'",  # the live conversation's WebSocket, ws:// or wss:// of this site
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on…= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def inline_code(html: str) -> list[str]:
    return [f"{what}: {m.group(0)!r}" for pattern, what in INLINE for m in pattern.finditer(html)]


@pytest.mark.parametrize(
    "path",
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*.html")),
)
def test_no_template_has_inline_script_or_style(path):
    assert inline_code((ROOT / path).read_text()) == []


def test_no_static_script_writes_html_with_inline_code():
    for script in (ROOT / "static").rglob("*.js"):
        assert inline_code(script.read_text()) == [], script


@pytest.fixture
def pages(db, client, buyer, seller, item):
    """A signed-in client per person, and the pages each of them sees."""
    disputed = request_in(State.DISPUTED, item)
    # past the ruling target: the queue marks it overdue
    disputed.disputes.update(ruling_due_at=timezone.now() - timedelta(days=1))
    root = UserFactory(username="root", is_staff=True, is_superuser=True)

    def as_(user):
        signed_in = Client()
        signed_in.force_login(user)
        return signed_in

    return [
        (client, "/login/"),
        (client, "/admin/login/"),
        (as_(buyer), "/"),
        (as_(buyer), "/requests/"),
        (as_(buyer), f"/requests/{disputed.pk}/"),
        (as_(buyer), "/notifications/"),
        (as_(buyer), "/seller/"),  # 403: no shop
        (as_(seller), "/seller/"),  # with the trend chart
        (as_(seller), f"/seller/requests/{disputed.pk}/"),
        (as_(root), "/admin/"),
        (as_(root), "/admin/aftersales/dispute/"),
        (as_(root), f"/admin/aftersales/dispute/{disputed.disputes.get().pk}/change/"),
    ]


def test_every_page_carries_the_policy_and_no_inline_code(pages):
    for client, path in pages:
        response = client.get(path)

        assert response.status_code in (200, 403), path
        assert response["Content-Type"].startswith("text/html"), path
        assert set(response["Content-Security-Policy"].split("; ")) == POLICY, path
        assert inline_code(response.content.decode()) == [], path
    queue = pages[-2][0].get("/admin/aftersales/dispute/").content.decode()
    assert '<strong class="overdue">' in queue
