"""Automation rules (/seller/rules/, 售后自动化): the shop's rules in the order they are applied,
and the form that creates or changes one, with a preview of what it would have handled.

Any member of the shop may manage its rules, not only the owner: a rule does what any member
may already do by hand on the request pages (agree to a refund, approve a return, confirm
receipt, pass an inspection), and the event log names the rule for every step it took. API keys
and webhooks stay with the owner: they are credentials that reach outside the shop.

What a rule may be and what it matches is :mod:`aftersales.rules`'s; saving goes through
:mod:`aftersales.services.automation`.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales import rules
from aftersales.errors import AfterSalesError
from aftersales.models import AutomationRule, Kind, Reason, TrustLevel
from aftersales.services import automation
from orders.models import ReturnAddress, Shop

from .access import seller_required, shop_ids

SHIPPED_CHOICES = [
    ("", gettext_lazy("Either")),
    ("yes", gettext_lazy("Shipped")),
    ("no", gettext_lazy("Not shipped")),
]


class RuleForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=60,
        help_text=gettext_lazy(
            "The buyer and the request's history see it, e.g. “未发货仅退款” (refund-only on "
            "unshipped orders)."
        ),
    )
    action = forms.ChoiceField(
        label=gettext_lazy("What the rule does"),
        choices=AutomationRule.Do.choices,
        widget=forms.RadioSelect,
    )
    return_address = forms.ModelChoiceField(
        label=gettext_lazy("Return address (for approving returns)"),
        queryset=ReturnAddress.objects.none(),
        required=False,
        empty_label="—",
    )
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Kind of request"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every kind the action can act on."),
    )
    reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Reason"),
        choices=Reason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: any reason."),
    )
    amount_at_least = forms.DecimalField(
        label=gettext_lazy("Amount at least (¥)"),
        required=False,
        max_digits=12,
        decimal_places=2,
    )
    amount_up_to = forms.DecimalField(
        label=gettext_lazy("Amount up to (¥)"), required=False, max_digits=12, decimal_places=2
    )
    order_shipped = forms.ChoiceField(
        label=gettext_lazy("Order shipped"),
        choices=SHIPPED_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    days_since_delivery_up_to = forms.IntegerField(
        label=gettext_lazy("Filed within this many days of delivery"),
        required=False,
        min_value=0,
        max_value=365,
    )
    min_trust_level = forms.TypedChoiceField(
        label=gettext_lazy("Buyer's trust level at least"),
        choices=[("", gettext_lazy("Any")), *TrustLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    enabled = forms.BooleanField(label=gettext_lazy("Switched on"), required=False, initial=True)

    def __init__(self, data=None, *, rule: AutomationRule):
        self.rule = rule
        initial = None
        if rule.pk is not None and data is None:
            initial = {
                "name": rule.name,
                "action": rule.action,
                "return_address": rule.return_address_id,
                "kinds": rule.kinds,
                "reasons": rule.reasons,
                "amount_at_least": rule.amount_at_least,
                "amount_up_to": rule.amount_up_to,
                "order_shipped": {True: "yes", False: "no"}.get(rule.order_shipped, ""),
                "days_since_delivery_up_to": rule.days_since_delivery_up_to,
                "min_trust_level": rule.min_trust_level,
                "enabled": rule.enabled,
            }
        super().__init__(data, initial=initial)
        self.fields["return_address"].queryset = ReturnAddress.objects.filter(
            shop_id=rule.shop_id, purpose=ReturnAddress.Purpose.RETURN
        )

    def clean(self):
        """The rule as the form describes it, checked by :func:`aftersales.rules.rule_errors`;
        its errors go to their fields."""
        data = super().clean()
        if self.errors:
            return data
        rule = self.rule
        rule.name = data["name"]
        rule.action = data["action"]
        rule.return_address = (
            data.get("return_address") if rule.action == AutomationRule.Do.APPROVE_RETURN else None
        )
        rule.kinds = data.get("kinds") or []
        rule.reasons = data.get("reasons") or []
        rule.amount_at_least = data.get("amount_at_least")
        rule.amount_up_to = data.get("amount_up_to")
        rule.order_shipped = {"yes": True, "no": False}.get(data.get("order_shipped") or "")
        rule.days_since_delivery_up_to = data.get("days_since_delivery_up_to")
        rule.min_trust_level = data.get("min_trust_level")
        rule.enabled = data.get("enabled", False)
        for field, errors in rules.rule_errors(rule).items():
            for error in errors:
                self.add_error(field, error)
        return data


def _shop(request: HttpRequest) -> Shop:
    """The shop a new rule is for: ``?shop=`` among the member's shops, or their first."""
    wanted = request.GET.get("shop", "")
    for shop in request.seller_shops:
        if not wanted or str(shop.pk) == wanted:
            return shop
    raise Http404


def _rule(request: HttpRequest, pk: int) -> AutomationRule:
    """One of the member's shops' rules; any other is not found."""
    rule = (
        AutomationRule.objects.filter(pk=pk, shop_id__in=shop_ids(request))
        .select_related("return_address")
        .first()
    )
    if rule is None:
        raise Http404
    return rule


@seller_required
def rule_list(request: HttpRequest) -> HttpResponse:
    listed = list(rules.rules_of_shops(shop_ids(request)))
    for rule in listed:
        rule.conditions = rules.describe(rule)
    groups = [
        {"shop": shop, "rules": [r for r in listed if r.shop_id == shop.pk]}
        for shop in request.seller_shops
    ]
    return render(request, "seller/rules.html", {"groups": groups})


@seller_required
def rule_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, AutomationRule(shop=_shop(request)))


@seller_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, _rule(request, pk))


def _edit(request: HttpRequest, rule: AutomationRule) -> HttpResponse:
    """The form: "Preview" shows what the rule would have handled and keeps the form filled;
    "Save" saves it and says the same count."""
    form = RuleForm(request.POST or None, rule=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        preview = rules.preview(rule, now=timezone.now())
        if "save" in request.POST:
            try:
                automation.save_rule(rule=rule, actor=request.user)
            except AfterSalesError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Rule “%(name)s” saved. It would have handled %(count)s of your shop's "
                        "requests of the last %(days)s days."
                    )
                    % {"name": rule.name, "count": preview.count, "days": preview.days},
                )
                return redirect("seller:rules")
    return render(
        request,
        "seller/rule_form.html",
        {"form": form, "rule": rule, "preview": preview},
        status=400 if form.errors else 200,
    )


@seller_required
@require_POST
def rule_switch(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    automation.switch_rule(rule=rule, enabled=request.POST.get("enabled") == "1")
    if rule.enabled:
        messages.success(request, _("Rule “%(name)s” switched on.") % {"name": rule.name})
    else:
        messages.success(request, _("Rule “%(name)s” switched off.") % {"name": rule.name})
    return redirect("seller:rules")


@seller_required
@require_POST
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    automation.move_rule(rule=_rule(request, pk), up=request.POST.get("direction") == "up")
    return redirect("seller:rules")


@seller_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule(request, pk)
    try:
        automation.delete_rule(rule=rule)
    except AfterSalesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("seller:rules")
