from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.forms import MONEY, EvidenceForm
from aftersales.models import LedgerEntry, Role, Ruling

from .models import Complaint


class RulingForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=Ruling.Outcome.choices, widget=forms.RadioSelect
    )
    refund_amount = forms.DecimalField(
        label=_("Refund (¥)"), required=False, min_value=Decimal("0.00"), **MONEY
    )
    compensation_amount = forms.DecimalField(
        label=_("Compensation (¥)"), required=False, min_value=Decimal("0.00"), **MONEY
    )
    rationale = forms.CharField(
        label=_("Rationale (both parties will read it)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
    )

    def __init__(self, *args, advance: LedgerEntry | None = None, **kwargs):
        """``advance``: the platform's fast refund on the request, if it made one. The buyer
        holds it already, so the ruling either lets them keep it or recovers it."""
        super().__init__(*args, **kwargs)
        if advance is not None:
            amount = f"¥{advance.amount:,.2f}"
            self.fields["outcome"].choices = [
                (
                    Ruling.Outcome.REFUND,
                    _("Refund: the buyer keeps the fast refund of %(amount)s already paid")
                    % {"amount": amount},
                ),
                (
                    Ruling.Outcome.FOR_SELLER,
                    _("For the seller: recover the fast refund of %(amount)s from the buyer")
                    % {"amount": amount},
                ),
            ]
            del self.fields["refund_amount"]
            self.fields["compensation_amount"].help_text = _(
                "Only with a refund: paid on top of the fast refund."
            )

    def clean(self):
        cleaned = super().clean()
        for name in ("refund_amount", "compensation_amount"):
            cleaned[name] = cleaned.get(name) or Decimal("0.00")
        return cleaned


class EvidenceRequestForm(forms.Form):
    party = forms.ChoiceField(
        label=_("Ask"),
        choices=[(Role.BUYER.value, _("the buyer")), (Role.SELLER.value, _("the seller"))],
    )
    question = forms.CharField(
        label=_("What evidence is needed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )
    days = forms.IntegerField(label=_("Days to answer"), min_value=1, max_value=14, initial=3)


class ComplaintResultForm(forms.Form):
    result = forms.CharField(
        label=_("Result (the buyer will read it)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        error_messages={"required": _("Write the result for the buyer.")},
    )


# --- the parties' forms in the portals --------------------------------------------------------


class DisputeAnswerForm(EvidenceForm):
    id_prefix = "dispute"
    statement = forms.CharField(
        label=_("Your statement for the platform"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class EvidenceAnswerForm(EvidenceForm):
    answer = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ComplaintForm(EvidenceForm):
    id_prefix = "complaint"
    reason = forms.ChoiceField(
        label=_("What is the complaint about?"), choices=[("", "—"), *Complaint.Reason.choices]
    )
    description = forms.CharField(
        label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
