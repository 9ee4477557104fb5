from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from portals import files, language, operations, tracking
from portals.buyer import orders

urlpatterns = [
    path("", orders.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The header's language switch; it also remembers the choice for the user's e-mails.
    path("i18n/setlang/", language.set_language, name="set_language"),
    # For operators: health for load balancers, metrics for Prometheus (README "Operations").
    path("health/", operations.Health.as_view(), name="health"),
    path("metrics", operations.metrics, name="metrics"),
    # Disputes and rulings moved to the aftersales app with the request's transitions; staff
    # bookmarks of the old admin addresses still arrive.
    re_path(
        r"^admin/disputes/(?P<model>dispute|ruling)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/aftersales/%(model)s/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    # Pages name their icon; this answers browsers that ask anyway (an evidence photo opened on
    # its own, an error page) instead of a 404.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.ico")),
    # Evidence for everyone who may see the request: buyer, seller, staff (access-checked).
    path("evidence/<int:pk>/", files.evidence_file, name="evidence"),
    path(
        "evidence/<int:pk>/thumb/", files.evidence_file, {"variant": "thumb"}, name="evidence_thumb"
    ),
    path("uploads/<int:pk>/", files.pending_file, name="pending_upload"),
    # What a carrier-tracking service pushes (README "Parcel tracking"), signed with a secret.
    path("tracking/push/", tracking.push, name="tracking_push"),
    path("", include("portals.reviews.urls")),
    path("seller/", include("portals.seller.urls")),
    # The seller API and the order system's import (README "Integrate your ERP").
    path("api/v1/", include("portals.api.urls")),
    path("notifications/", include("portals.notifications.urls")),
    # 售后指导: the guide, its search and the deadline table, for everyone.
    path("help/", include("portals.help.urls")),
    # Customer service and call backs (README "Customer service and call backs").
    path("help/", include("portals.support.urls")),
    path("", include("portals.buyer.urls")),
]
