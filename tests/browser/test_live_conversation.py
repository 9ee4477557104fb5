"""The live conversation in two browsers: the buyer's and the seller's request pages side by
side, each seeing the other's messages and read receipts without a reload, and the buyer's
header counting a new notification as it comes.

The other browser tests run on pytest-django's WSGI live server, which has no WebSockets; this
one runs the project's ASGI application in Daphne, in a process of its own against the test
database (``asgi_server``), the way ``bin/serve`` and the containers run it.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from aftersales.models import Message
from tests.aftersales.factories import file_request
from tests.browser.conftest import sign_in
from tests.conftest import _service_missing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db):
    """Daphne serving ``config.asgi`` (with the static files) on a free port, against the test
    database; its URL."""
    if connection.vendor != "postgresql":
        # a failure under REQUIRE_SERVICES=1 (CI), as for every test marked ``postgres``
        _service_missing("the ASGI live server shares the test database: PostgreSQL only")
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "tests.browser.asgi_live:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def side(browser, base_url: str, login: str):
    context = browser.new_context(
        base_url=base_url, locale="en-US", viewport={"width": 900, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, login)
    return context, page


def live(page):
    """Once the socket is open (the thread says so with a class)."""
    expect(page.locator("#thread.live")).to_be_attached()


def test_buyer_and_seller_see_each_other_live(browser, asgi_server, item, buyer, seller):
    request = file_request(item)
    buyer_context, buyer_page = side(browser, asgi_server, "buyer")
    seller_context, seller_page = side(browser, asgi_server, "seller")
    try:
        buyer_page.goto(f"/requests/{request.pk}/")
        seller_page.goto(f"/seller/requests/{request.pk}/")
        live(buyer_page)
        live(seller_page)
        expect(buyer_page.locator(".notifications-link .count")).to_have_count(0)

        # the buyer sends a message: it goes over the socket, the page does not reload
        buyer_page.get_by_label("Message").fill("Is the <b>refund</b> on its way?")
        buyer_page.get_by_role("button", name="Send message").click()
        mine = buyer_page.locator(".entry-message").last
        expect(mine.locator(".note")).to_have_text("Is the <b>refund</b> on its way?")
        expect(buyer_page.get_by_label("Message")).to_have_value("")

        # the seller sees it without a reload (as text, not markup), and has read it
        theirs = seller_page.locator(".entry-message").last
        expect(theirs.locator(".note")).to_have_text("Is the <b>refund</b> on its way?")
        expect(theirs.locator("strong")).to_have_text("Buyer (buyer)")
        # so the buyer's receipt turns to "Read", live
        expect(mine.locator("[data-receipt]")).to_have_text("Read")

        # the seller answers; the buyer sees it
        seller_page.get_by_label("Message").fill("Yes, today.")
        seller_page.get_by_role("button", name="Send message").click()
        expect(buyer_page.locator(".entry-message").last.locator(".note")).to_have_text(
            "Yes, today."
        )
        expect(seller_page.locator(".entry-message").last.locator("[data-receipt]")).to_have_text(
            "Read"
        )

        # a message the form's checks refuse is answered, and what was typed stays
        seller_page.get_by_label("Message").fill(" ")
        seller_page.get_by_role("button", name="Send message").click()
        expect(seller_page.locator("[data-live-errors]")).to_contain_text("required")

        # the seller approves (a normal post of the seller's page): the buyer's header counts
        # the notification without a reload
        seller_page.get_by_role("button", name="Approve: the buyer sends the goods back").click()
        expect(buyer_page.locator(".notifications-link .count")).to_have_text("1")
    finally:
        buyer_context.close()
        seller_context.close()

    # one history: the records the timeline and the arbitrator read
    assert list(request.messages.values_list("author_role", "body")) == [
        ("buyer", "Is the <b>refund</b> on its way?"),
        ("seller", "Yes, today."),
    ]
    assert all(m.read_at for m in Message.objects.filter(request=request))
