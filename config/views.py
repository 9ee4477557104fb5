from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orders.views import my_orders


def home(request: HttpRequest) -> HttpResponse:
    """The buyer portal's front page: my orders when signed in, else where to go."""
    if request.user.is_authenticated:
        return my_orders(request)
    return render(request, "home.html")
