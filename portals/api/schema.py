"""How the schema describes the API key (imported by the urls, before any schema is built)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "portals.api.access.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A shop's API key (`ak_…`), created by the shop's owner at "
            "/seller/api-keys/ and shown once. Scopes: `read` (list and read requests), "
            "`act` (also take the shop's actions). The order system's platform key has the "
            "scope `orders:import` only.",
        }
