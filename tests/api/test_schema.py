"""The OpenAPI schema: it validates, every API endpoint is in it, and it reads as documented."""

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def api_paths() -> set[str]:
    """Every URL under /api/v1/ but the schema and docs themselves, as the schema spells it."""
    (resolver,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/"
    ]
    paths = set()
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern).replace("<int:pk>", "{id}")
        if route not in ("schema/", "docs/"):
            paths.add("/api/v1/" + route)
    return paths


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    validate_schema(schema)  # raises on any error
    assert schema["openapi"].startswith("3.")


def test_every_endpoint_is_in_the_schema(schema):
    assert set(schema["paths"]) == api_paths()
    assert len(api_paths()) == 12


def test_every_operation_documents_the_error_shape_and_the_key(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"apiKey": []}], (method, path)
            for status in ("400", "401", "403", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"]["$ref"] == "#/components/schemas/Error", (path, status)
            if method == "post":
                names = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
                assert "Idempotency-Key" in names, path


def test_the_schema_is_in_english_with_the_chinese_names_of_states(schema):
    state = schema["components"]["schemas"]["RequestSummary"]["properties"]["state"]
    description = state["description"]
    assert "`submitted`: Waiting for the seller (等待卖家处理)" in description
    assert "`disputed`: Platform intervening (平台介入中)" in description
    assert schema["info"]["title"] == "After-sales seller API"


def test_the_reference_page_serves_swagger_ui_from_this_site(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "<style>" not in html and "cdn" not in html.lower()
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "/api/v1/schema/" in script.content.decode()
