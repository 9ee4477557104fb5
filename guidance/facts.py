"""The part of each article that is computed, never typed: which requests a reason fits,
which window applies and how long it is, who pays the return postage, and the deadlines along
the way. Each comes from the function that applies the rule (``aftersales.policy``,
``seller_pays_return_shipping``, the deadline table), with the platform's settings; a shop may
lengthen a window, never shorten it, and may pay the postage of no-reason returns.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from aftersales import policy
from aftersales.models import Kind, Reason, seller_pays_return_shipping
from orders.models import Shop

from .deadlines import Row, table
from .models import reads_chinese


@dataclass
class Facts:
    fits: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    postage: list[str] = field(default_factory=list)
    deadlines: list[Row] = field(default_factory=list)


def window_sentence(kind: Kind, reason: Reason) -> str:
    name = policy.window_name(kind, reason)
    days = settings.AFTERSALES_WINDOWS[name]
    if kind == Kind.REPAIR:
        return _(
            "%(kind)s: free within the warranty, %(days)s days from delivery; after it, a repair "
            "can still be asked for, at a fee the shop quotes and you accept first."
        ) % {"kind": kind.label, "days": days}
    return _("%(kind)s: within %(days)s days of delivery.") % {"kind": kind.label, "days": days}


def postage_sentence(reason: Reason) -> str:
    """Who pays the return postage for this reason, in general: the rule asked for a shop
    that does not cover no-reason returns and one that does."""
    plain, generous = Shop(pays_no_reason_return_shipping=False), Shop()
    generous.pays_no_reason_return_shipping = True
    by_default = seller_pays_return_shipping(reason, plain)
    if by_default:
        return _(
            "The seller pays the return postage: you pay the carrier, keep the receipt and "
            "claim it back on the request (up to ¥%(limit)s)."
        ) % {"limit": settings.RETURN_SHIPPING_REIMBURSEMENT_LIMIT}
    if seller_pays_return_shipping(reason, generous):
        return _(
            "You pay the return postage, unless the shop's policy covers no-reason returns (its "
            "page says so) or the order has return-shipping insurance, which pays you a fixed "
            "amount once the parcel is signed for."
        )
    return _("You pay the return postage.")


def reason_facts(reason: Reason) -> Facts:
    facts = Facts()
    kinds = [k for k in Kind if reason in policy.REASONS_AFTER_DELIVERY[k]]
    for kind in kinds:
        facts.fits.append(str(kind.label))
        facts.windows.append(window_sentence(kind, reason))
    if reason in policy.REASONS_IN_TRANSIT:
        facts.fits.append(
            _("%(kind)s before the goods arrive") % {"kind": Kind.REFUND_ONLY.label}
            if reason not in policy.REASONS_NOT_SHIPPED
            else _("%(kind)s before the goods are shipped or arrive")
            % {"kind": Kind.REFUND_ONLY.label}
        )
        facts.windows.append(
            _("Before delivery no window runs: you can ask for a refund at any time.")
        )
    if any(k.needs_goods_back for k in kinds):
        facts.postage.append(postage_sentence(reason))
    if Kind.REPAIR in kinds:
        facts.postage.append(
            _("A repair after the warranty is paid for as a whole, postage included.")
        )
    facts.deadlines = [row for row in table() if set(row.kinds) & set(kinds)]
    return facts


def kind_facts(kind: Kind) -> Facts:
    facts = Facts()
    reasons = policy.REASONS_AFTER_DELIVERY[kind]
    facts.fits = [str(r.label) for r in reasons]
    by_window: dict[str, list[Reason]] = {}
    for reason in reasons:
        by_window.setdefault(policy.window_name(kind, reason), []).append(reason)
    for grouped in by_window.values():
        facts.windows.append(
            _("%(rule)s (%(reasons)s)")
            % {"rule": window_sentence(kind, grouped[0]), "reasons": joined(grouped)}
        )
    if kind == Kind.REFUND_ONLY:
        facts.windows.append(
            _("Before delivery no window runs: a refund can be asked for until the goods arrive.")
        )
    if kind.needs_goods_back:
        for no_reason in (True, False):
            group = [r for r in reasons if Reason(r).is_no_reason == no_reason]
            if group:
                facts.postage.append(
                    _("%(reasons)s: %(who_pays)s")
                    % {"reasons": joined(group), "who_pays": postage_sentence(group[0])}
                )
        if kind == Kind.EXCHANGE:
            facts.postage.append(_("The seller pays the postage of the replacement."))
    else:
        facts.postage.append(_("Nothing is sent back, so there is no return postage."))
    facts.deadlines = [row for row in table() if kind in row.kinds]
    return facts


def facts_for(topic: str) -> Facts:
    return kind_facts(Kind(topic)) if topic in Kind.values else reason_facts(Reason(topic))


def joined(reasons: list[Reason]) -> str:
    """Reasons' labels in a list, as each language writes one (Chinese with 、)."""
    return ("、" if reads_chinese() else ", ").join(str(r.label) for r in reasons)
