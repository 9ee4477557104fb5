from csp.decorators import csp_update
from django.urls import path
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from . import schema, views  # noqa: F401  (schema: the API key's security scheme)

app_name = "api"


class Schema(SpectacularAPIView):
    """The OpenAPI 3 document, in English whatever the client's language (the states' Chinese
    names are in their descriptions)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def dispatch(self, request, *args, **kwargs):
        with translation.override("en"):
            response = super().dispatch(request, *args, **kwargs)
            return response.render()


class Docs(SpectacularSwaggerSplitView):
    """Swagger UI from this site's static files; its start-up script is a file of its own, as
    the Content-Security-Policy allows no inline script or style. Its stylesheet draws its
    icons as ``data:`` SVG images, which this page alone allows."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"


urlpatterns = [
    path("schema/", Schema.as_view(), name="schema"),
    path("docs/", csp_update({"img-src": ["data:"]})(Docs.as_view()), name="docs"),
    path("requests/", views.RequestList.as_view(), name="requests"),
    path("requests/<int:pk>/", views.RequestDetail.as_view(), name="request"),
    path("requests/<int:pk>/approve/", views.Approve.as_view(), name="approve"),
    path("requests/<int:pk>/propose/", views.Propose.as_view(), name="propose"),
    path("requests/<int:pk>/reject/", views.Reject.as_view(), name="reject"),
    path("requests/<int:pk>/confirm-receipt/", views.ConfirmReceipt.as_view(), name="receipt"),
    path("requests/<int:pk>/pass-inspection/", views.PassInspection.as_view(), name="pass"),
    path("requests/<int:pk>/fail-inspection/", views.FailInspection.as_view(), name="fail"),
    path("requests/<int:pk>/ship/", views.Ship.as_view(), name="ship"),
    path("requests/<int:pk>/messages/", views.PostMessage.as_view(), name="message"),
    path("requests/<int:pk>/answer-dispute/", views.AnswerDispute.as_view(), name="answer"),
    path("orders/import", views.ImportOrders.as_view(), name="import_orders"),
]
