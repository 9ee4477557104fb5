"""The app's URLs plus two references for the benchmarks.

``/bench/ping/`` is the cheapest signed-in page: every page's requests per second is divided by
its own, measured in the same run, so what is left is the page's own cost, not the machine's
load or the middleware's. ``/bench/frame/`` is an empty page in the site's frame (``base.html``:
header, navigation, unread count, language switch): the most any page of the site can reach.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


@login_required
def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong", content_type="text/plain")


@login_required
def frame(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


urlpatterns = [
    path("bench/ping/", ping, name="bench_ping"),
    path("bench/frame/", frame, name="bench_frame"),
    path("", include("config.urls")),
]
