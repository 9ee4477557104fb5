"""Forms of customer service and call backs; the phone number is checked here with
``phonenumbers`` (Chinese numbers without a country code, others with +country)."""

from datetime import datetime, time, timedelta

import phonenumbers
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.preferences import language_of

from .models import Callback, Conversation, QuickReply

# Call backs happen in the platform's business hours (China time): 09:00 to 21:00, within the
# next 14 days.
BUSINESS_HOURS = (9, 21)
CALLBACK_DAYS_AHEAD = 14
PHONE_REGION = "CN"


def normalize_phone(value: str) -> str:
    """E.164 (+8613812345678), or ``ValidationError`` with what to type instead."""
    invalid = forms.ValidationError(
        _(
            "Enter a valid phone number: a Chinese mobile number like 138 1234 5678, or "
            "another country's number with its code, like +44 20 7946 0958."
        ),
        code="invalid_phone",
    )
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class OpenForm(MessageForm):
    body = forms.CharField(
        label=_("What can we help with?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Text only: to show photos, add them to the request's evidence."),
    )


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How well were you helped?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _hours():
    first, last = BUSINESS_HOURS
    return [(h, f"{h:02d}:00") for h in range(first, last + 1)]


class CallbackForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_(
            "Only platform staff see it; the other side never does. A number outside "
            "mainland China starts with + and its country code."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    from_hour = forms.TypedChoiceField(label=_("From"), coerce=int, choices=_hours)
    to_hour = forms.TypedChoiceField(label=_("To"), coerce=int, choices=_hours, initial=21)
    note = forms.CharField(
        label=_("What is it about? (optional, staff only)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.fields["from_hour"].initial = BUSINESS_HOURS[0]
        self.fields["to_hour"].initial = BUSINESS_HOURS[1]
        self.fields["day"].help_text = _(
            "We call between 09:00 and 21:00 (China time), within the next %(days)s days."
        ) % {"days": CALLBACK_DAYS_AHEAD}

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("from_hour"), data.get("to_hour")
        if day is None or start is None or end is None:
            return data
        if end <= start:
            self.add_error("to_hour", _("The end of the window must come after its start."))
            return data
        tz = timezone.get_current_timezone()
        window_start = datetime.combine(day, time(start), tzinfo=tz)
        window_end = datetime.combine(day, time(end), tzinfo=tz)
        if window_end <= self.now:
            self.add_error("day", _("Choose a time window in the future."))
        elif window_start > self.now + timedelta(days=CALLBACK_DAYS_AHEAD):
            self.add_error(
                "day",
                _("Choose a day within the next %(days)s days.") % {"days": CALLBACK_DAYS_AHEAD},
            )
        # A window already begun counts from now.
        data["window_start"] = max(window_start, self.now + timedelta(minutes=1))
        data["window_end"] = window_end
        return data


# --- the staff's forms in the admin ----------------------------------------------------------


class ReplyForm(forms.Form):
    quick_reply = forms.ModelChoiceField(
        label=_("Quick reply"),
        queryset=QuickReply.objects.all(),
        required=False,
        empty_label=_("— write your own —"),
        help_text=_("Sent in the asker's language when the message is left empty."),
    )
    body = forms.CharField(
        label=_("Answer"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("quick_reply"):
            raise forms.ValidationError(_("Write an answer or choose a quick reply."))
        return data

    def answer_for(self, asker) -> str:
        """What is sent: the text written, else the quick reply in the asker's language."""
        body = self.cleaned_data["body"].strip()
        return body or self.cleaned_data["quick_reply"].text_for(language_of(asker))


class HandoverForm(forms.Form):
    kind = forms.ChoiceField(label=_("Hand over"), choices=Conversation.Handover.choices)
    reason = forms.CharField(label=_("Reason given"), max_length=30)
    statement = forms.CharField(
        label=_("Statement for the arbitrator (in the buyer's words)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = forms.ChoiceField(label=_("Reason given"), choices=reasons)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("How did the call go?"), choices=Callback.Outcome.choices)
    note = forms.CharField(
        label=_("Note (staff only)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
