"""Switching the site's language (the header's switch): Django's own view, and the choice is
remembered for the e-mails the platform sends while the user is away."""

from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language as django_set_language

from orders.preferences import remember_language


def set_language(request: HttpRequest) -> HttpResponse:
    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        remember_language(user=request.user, language=request.POST.get("language", ""))
    return response
