"""API keys (/seller/api-keys/): the shop's owner creates and revokes the keys its ERP uses
(README "Integrate your ERP"). A key is shown once, right after it is made."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from apikeys import services
from apikeys.models import SHOP_SCOPES, ApiKey, Scope
from orders.models import ShopMember

from .access import seller_required

NEW_TOKEN = "api_key_token"


class KeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Who uses it, e.g. “Warehouse ERP”: the event log shows it."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What it may do"),
        choices=[(scope.value, scope.label) for scope in SHOP_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ.value],
    )
    shop = forms.ModelChoiceField(label=gettext_lazy("Shop"), queryset=None, empty_label=None)

    def __init__(self, *args, shops, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        self.only_shop = shops[0] if len(shops) == 1 else None
        if self.only_shop is not None:  # nothing to choose
            self.fields["shop"].required = False
            self.fields["shop"].widget = forms.HiddenInput()

    def clean_shop(self):
        return self.cleaned_data.get("shop") or self.only_shop


def _owned_shops(request: HttpRequest):
    return [
        shop
        for shop in request.seller_shops
        if ShopMember.objects.filter(
            shop=shop, user=request.user, role=ShopMember.Role.OWNER
        ).exists()
    ]


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "seller/api_keys_owner_only.html", status=403)


@seller_required
def api_keys(request: HttpRequest) -> HttpResponse:
    shops = _owned_shops(request)
    if not shops:
        return _forbidden(request)
    queryset = type(shops[0]).objects.filter(pk__in=[shop.pk for shop in shops])
    form = KeyForm(request.POST or None, shops=queryset)
    if request.method == "POST" and form.is_valid():
        key, token = services.create_shop_key(
            shop=form.cleaned_data["shop"],
            actor=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
        )
        request.session[NEW_TOKEN] = {"id": key.pk, "token": token}
        return redirect("seller:api_keys")
    new = request.session.pop(NEW_TOKEN, None)
    keys = ApiKey.objects.filter(shop__in=shops).select_related("shop")
    return render(
        request,
        "seller/api_keys.html",
        {"form": form, "keys": keys, "new": new, "several_shops": len(shops) > 1},
        status=400 if form.is_bound else 200,
    )


@seller_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    shops = _owned_shops(request)
    if not shops:
        return _forbidden(request)
    key = get_object_or_404(ApiKey, pk=pk, shop__in=shops)
    services.revoke_key(key=key, actor=request.user)
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": key.name})
    return redirect("seller:api_keys")
