"""The app's URLs plus ``/bench/ping/``: the cheapest signed-in page, the benchmarks' reference.

Every page's requests per second is divided by this page's, measured in the same run: what is
left is the page's own cost, not the machine's load or the middleware's.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong", content_type="text/plain")


urlpatterns = [
    path("bench/ping/", ping, name="bench_ping"),
    path("", include("config.urls")),
]
