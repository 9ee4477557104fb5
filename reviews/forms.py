from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.forms import EvidenceForm

STAR_CHOICES = [(n, "★" * n) for n in range(5, 0, -1)]


def stars_field(label):
    return forms.TypedChoiceField(
        label=label, choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect
    )


class ReviewForm(EvidenceForm):
    id_prefix = "review"
    max_photos = 6
    max_videos = 0

    speed = stars_field(_("Speed"))
    attitude = stars_field(_("Attitude"))
    result = stars_field(_("Result"))
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Public reply"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your reply first.")},
    )
