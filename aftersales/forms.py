"""Forms for buyers and sellers. Evidence uploads are checked here, before any service runs;
files that pass are kept if the form comes back with an error elsewhere."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from orders.models import OrderItem, ReturnAddress

from . import policy, uploads
from .evidence import PHOTO, VIDEO, PreparedFile, prepare_each
from .models import (
    AfterSalesRequest,
    Carrier,
    Dispute,
    Kind,
    PendingUpload,
    Phrase,
    Reason,
    RejectionReason,
    Replacement,
)
from .shipping import tracking_error

MONEY = {"max_digits": 12, "decimal_places": 2}
# Hints for the browser's file picker only; files are judged by their content.
PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/gif"
VIDEO_TYPES = "video/mp4,video/quicktime,video/webm"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class EvidenceForm(forms.Form):
    """A form with photo/video evidence.

    ``files`` are new uploads; ``kept`` are ids of files accepted on an earlier try of this
    form (see :mod:`aftersales.uploads`). After validation, :meth:`evidence` is what goes to
    the service; when the form must be shown again, :meth:`keep_accepted` keeps new good files.
    """

    max_photos = settings.EVIDENCE["MAX_PHOTOS"]
    max_videos = settings.EVIDENCE["MAX_VIDEOS"]
    evidence_required = False

    files = MultipleFileField(
        label=_("Photos and video"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": f"{PHOTO_TYPES},{VIDEO_TYPES}"}),
    )

    # Several evidence forms can share a page: each gets its own element ids.
    id_prefix = "id"

    def __init__(self, *args, owner, id_prefix: str | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"{id_prefix or self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.kept: list[PendingUpload] = uploads.kept_for(
            owner, self.data.getlist("kept") if hasattr(self.data, "getlist") else []
        )
        self.accepted: list[PreparedFile] = []

    def clean_files(self):
        new = self.cleaned_data.get("files") or []
        kept_photos = sum(1 for k in self.kept if k.media_type == PHOTO)
        kept_videos = sum(1 for k in self.kept if k.media_type == VIDEO)
        self.accepted, errors = prepare_each(
            new,
            max_photos=max(0, self.max_photos - kept_photos),
            max_videos=max(0, self.max_videos - kept_videos),
        )
        if errors:
            raise forms.ValidationError(errors)
        if self.evidence_required and not (self.accepted or self.kept):
            raise forms.ValidationError(_("Add at least one photo."), code="required")
        return new

    @property
    def limits_text(self) -> str:
        photos = ngettext(
            "Up to %(count)s photo (JPEG, PNG, WebP or GIF).",
            "Up to %(count)s photos (JPEG, PNG, WebP or GIF).",
            self.max_photos,
        ) % {"count": self.max_photos}
        if not self.max_videos:
            return photos
        videos = ngettext(
            "Up to %(count)s video (MP4, MOV or WebM).",
            "Up to %(count)s videos (MP4, MOV or WebM).",
            self.max_videos,
        ) % {"count": self.max_videos}
        return f"{photos} {videos}"

    def evidence(self) -> list[PreparedFile]:
        return [uploads.as_prepared(k) for k in self.kept] + self.accepted

    def keep_accepted(self) -> None:
        self.kept += uploads.keep(self.owner, self.accepted)
        self.accepted = []

    def discard_kept(self) -> None:
        uploads.discard(self.kept)


class RequestForm(EvidenceForm):
    """File (or revise) an after-sales request for one order item and one kind."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        error_messages={
            "invalid_choice": _(
                "This reason is not available for this item any more: its window may have "
                "passed. Choose another reason."
            )
        },
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    refund_amount = forms.DecimalField(
        label=_("Refund amount (¥)"), min_value=Decimal("0.01"), **MONEY
    )
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    # An exchange only: what instead, and where it goes.
    replacement = forms.ChoiceField(
        label=_("What do you want instead?"),
        choices=Replacement.choices,
        widget=forms.RadioSelect,
    )
    replacement_details = forms.CharField(
        label=_("Which size, colour or variant"),
        max_length=200,
        required=False,
        help_text=_("For example: size L instead of M, or the blue one."),
    )
    delivery_address = forms.CharField(
        label=_("Send the replacement to"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Your order's shipping address. Change it here if the parcel should go elsewhere."
        ),
    )

    def __init__(self, *args, item: OrderItem, kind: Kind, now, standing, **kwargs):
        super().__init__(*args, **kwargs)
        self.item, self.kind = item, Kind(kind)
        reasons = policy.open_reasons(item, self.kind, now=now)
        self.fields["reason"].choices = [("", "—")] + [(r.value, r.label) for r in reasons]
        # A repair after the warranty is paid for: the page says so, the guidance too.
        self.paid_repair = self.kind == Kind.REPAIR and policy.out_of_warranty(item, now=now)
        self.warranty_ends_at = policy.warranty_ends_at(item)
        shop = item.order.shop
        self.guidance = [
            (
                r.value,
                r.label,
                policy.guidance(r, kind=kind, shop=shop, paid_repair=self.paid_repair),
            )
            for r in reasons
        ]
        quantity = self.fields["quantity"]
        quantity.max_value = standing.quantity_left
        quantity.validators.append(
            MaxValueValidator(
                standing.quantity_left,
                message=_("You can ask for at most %(limit_value)s of this item."),
            )
        )
        quantity.widget.attrs["max"] = standing.quantity_left
        quantity.initial = standing.quantity_left
        self.max_refund = policy.max_refund(
            item, quantity=standing.quantity_left, quantity_left=standing.quantity_left
        )
        if self.kind.is_money:
            self.fields["refund_amount"].initial = self.max_refund
            self.fields["refund_amount"].max_value = standing.refundable
        else:
            del self.fields["refund_amount"]
        if self.kind == Kind.EXCHANGE:
            self.fields["delivery_address"].initial = item.order.shipping_address
        else:
            for name in ("replacement", "replacement_details", "delivery_address"):
                del self.fields[name]

    def clean_reason(self):
        return Reason(self.cleaned_data["reason"])

    def clean(self):
        cleaned = super().clean()
        quantity, amount = cleaned.get("quantity"), cleaned.get("refund_amount")
        if self.kind.is_money and quantity and amount is not None:
            left = self.fields["quantity"].max_value
            limit = policy.max_refund(self.item, quantity=quantity, quantity_left=left)
            if amount > limit:
                self.add_error(
                    "refund_amount",
                    _("For %(quantity)s item(s) you can ask back at most ¥%(limit)s.")
                    % {"quantity": quantity, "limit": limit},
                )
        replacement = cleaned.get("replacement")
        if (
            replacement
            and Replacement(replacement).needs_details
            and not cleaned.get("replacement_details", "").strip()
        ):
            self.add_error("replacement_details", policy.NAME_THE_VARIANT)
        return cleaned

    @property
    def exchange_terms(self) -> dict[str, str]:
        """What an exchange asks for and where it goes, for the service; nothing otherwise."""
        return {
            name: self.cleaned_data.get(name, "")
            for name in ("replacement", "replacement_details", "delivery_address")
            if name in self.fields
        }

    @property
    def refund(self) -> Decimal:
        return self.cleaned_data.get("refund_amount") or Decimal("0.00")


class TrackingForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=[("", "—"), *Carrier.choices])
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=40)

    def clean(self):
        cleaned = super().clean()
        carrier, number = cleaned.get("carrier"), cleaned.get("tracking_number")
        if carrier and number and (error := tracking_error(carrier, number)):
            self.add_error("tracking_number", error)
        return cleaned


class ReturnShipmentForm(TrackingForm):
    shipping_fee = forms.DecimalField(
        label=_("Return shipping you paid (¥)"),
        required=False,
        min_value=Decimal("0.00"),
        max_value=settings.RETURN_SHIPPING_REIMBURSEMENT_LIMIT,
        help_text=_("The seller reimburses it once the goods arrive."),
        **MONEY,
    )

    def __init__(self, *args, aftersales: AfterSalesRequest, **kwargs):
        super().__init__(*args, **kwargs)
        if aftersales.seller_pays_return_shipping:
            self.fields["shipping_fee"].label = aftersales.words("phrase", Phrase.SHIPPING_FEE)
            if claim := policy.insurance_claim(aftersales):
                # Insurance pays first (README "Return-shipping insurance"): say how it adds up.
                self.fields["shipping_fee"].help_text = _(
                    "What the carrier charged you, up to ¥%(limit)s. The insurance pays "
                    "¥%(claim)s of it when the parcel is signed for; the seller reimburses the "
                    "rest once the goods arrive."
                ) % {"claim": claim, "limit": settings.RETURN_SHIPPING_REIMBURSEMENT_LIMIT}
        else:
            del self.fields["shipping_fee"]

    def clean_shipping_fee(self):
        return self.cleaned_data.get("shipping_fee") or Decimal("0.00")


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EscalateForm(EvidenceForm):
    id_prefix = "escalate"
    reason = forms.ChoiceField(
        label=_("Why do you ask the platform to step in?"),
        choices=[("", "—"), *Dispute.Reason.buyer_choices()],
    )
    statement = forms.CharField(
        label=_("What happened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )


class MessageForm(EvidenceForm):
    id_prefix = "message"
    max_photos = 1
    max_videos = 0

    body = forms.CharField(
        label=_("Message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    files = MultipleFileField(
        label=_("Photo (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": PHOTO_TYPES}),
    )


# --- the seller's forms ----------------------------------------------------------------------


class ApproveForm(forms.Form):
    """Approve as asked; where the goods come back, choose which return address."""

    return_address = forms.ModelChoiceField(
        label=_("Return address"), queryset=ReturnAddress.objects.none(), empty_label=None
    )

    def __init__(self, *args, aftersales, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["return_address"]
        if Kind(aftersales.kind).needs_goods_back:
            # A repair goes to the shop's repair point, when it keeps one.
            repair = aftersales.kind == Kind.REPAIR
            field.queryset = aftersales.shop.addresses_for(repair=repair)
            field.initial = aftersales.shop.destination(repair=repair)
            field.label = aftersales.words("phrase", Phrase.ADDRESS)
        else:
            del self.fields["return_address"]


class ProposalForm(forms.Form):
    SOLUTIONS = [
        (Kind.REFUND_ONLY.value, _("Partial refund or compensation; the buyer keeps the goods")),
        (Kind.RETURN_REFUND.value, _("Refund after the goods come back")),
        (Kind.EXCHANGE.value, _("Exchange instead")),
        (Kind.REPAIR.value, _("Repair instead")),
    ]

    kind = forms.ChoiceField(label=_("Solution"), choices=SOLUTIONS, widget=forms.RadioSelect)
    refund_amount = forms.DecimalField(
        label=_("Refund (¥)"), required=False, min_value=Decimal("0.00"), **MONEY
    )
    compensation_amount = forms.DecimalField(
        label=_("Compensation (¥)"), required=False, min_value=Decimal("0.00"), **MONEY
    )
    repair_fee = forms.DecimalField(
        label=_("Repair fee the buyer pays (¥)"),
        required=False,
        min_value=Decimal("0.00"),
        help_text=_("Only for a repair outside the warranty; leave empty if it is free."),
        **MONEY,
    )
    note = forms.CharField(
        label=_("Explain the proposal to the buyer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        for name in ("refund_amount", "compensation_amount", "repair_fee"):
            cleaned[name] = cleaned.get(name) or Decimal("0.00")
        return cleaned


class QuoteForm(forms.Form):
    """报价: the shop's fee for a repair after the warranty, and what it covers."""

    repair_fee = forms.DecimalField(
        label=_("Repair fee the buyer pays (¥)"), min_value=Decimal("0.01"), **MONEY
    )
    note = forms.CharField(
        label=_("What the fee covers"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefusalForm(EvidenceForm):
    """Reject a request, or fail the inspection of returned goods (which needs a photo)."""

    max_videos = 1
    reason = forms.ChoiceField(
        label=_("Reason for refusing"), choices=[("", "—"), *RejectionReason.choices]
    )
    explanation = forms.CharField(
        label=_("Explanation for the buyer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, photo_required: bool = False, **kwargs):
        kwargs.setdefault("id_prefix", "fail" if photo_required else "reject")
        super().__init__(*args, **kwargs)
        self.evidence_required = photo_required
