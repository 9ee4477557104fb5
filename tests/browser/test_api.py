"""The API keys page and the API's reference page in a real browser, under the CSP."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import ShopMember
from tests.browser.conftest import sign_in
from tests.orders.factories import ShopMemberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_owner_creates_a_key_sees_it_once_and_revokes_it(page, shop):
    ShopMemberFactory(shop=shop, user__username="owner", role=ShopMember.Role.OWNER)
    sign_in(page, "owner")
    page.goto("/seller/")
    page.get_by_role("link", name="API keys").click()

    page.get_by_label("Name").fill("Warehouse ERP")
    page.get_by_label("Act on requests").check()
    page.get_by_role("button", name="Create key").click()

    token = page.locator("#new-api-key")
    expect(token).to_have_text(re.compile(r"^ak_[0-9a-f]{12}\.\S{40,}$"))
    secret = token.inner_text()
    row = page.locator("table.api-keys tbody tr", has_text="Warehouse ERP")
    expect(row).to_contain_text("Read requests, Act on requests")
    expect(row).to_contain_text("Active")

    page.reload()  # shown once
    expect(page.locator("#new-api-key")).to_have_count(0)
    assert secret not in page.content()

    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages li")).to_contain_text("is revoked")
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)


def test_the_api_reference_renders_under_the_policy(page):
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("After-sales seller API")
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/requests/{id}/approve/")
    ).to_be_visible()
    # An operation opens and shows its parameters (Swagger UI's own scripts run).
    page.locator(".opblock-summary", has_text="/api/v1/requests/{id}/approve/").click()
    expect(page.get_by_text("Idempotency-Key").first).to_be_visible()
