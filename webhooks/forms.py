from django import forms
from django.utils.translation import gettext_lazy as _

from . import events
from .services import check_url


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        validators=[check_url],
        help_text=_("Where to POST the events: https:// on your server."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=events.CHOICES,
        initial=events.NAMES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args, shops=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(shops) > 1:
            self.fields["shop"] = forms.ModelChoiceField(
                label=_("Shop"), queryset=shops, empty_label=None
            )
