"""Errors the services raise. Each carries a translated message fit to show the user as is."""

from django.utils.translation import gettext_lazy as _


class AfterSalesError(Exception):
    default_message = _("This action could not be completed.")
    # True when the refusal means the request moved on (stale page, double click, a colleague
    # was faster): the page that had the form may no longer show it.
    moved_on = False

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


class ActionNotAllowed(AfterSalesError):
    """The actor has no right to take this action on this request."""

    default_message = _("You cannot take this action on this request.")
    moved_on = True


class StaleAction(AfterSalesError):
    """The request is no longer in a state where the action applies (stale page, double click)."""

    default_message = _(
        "This request has changed since the page was loaded, so nothing was done. "
        "Here is its current state."
    )
    moved_on = True


class Ineligible(AfterSalesError):
    """The item cannot get this request: window passed, quantity or amount too high, …"""


class RefundLimitExceeded(AfterSalesError):
    default_message = _(
        "This refund would exceed what was paid for the item. Nothing was refunded."
    )


class InvalidInput(AfterSalesError):
    """Input the form should have caught (a tracking number, an amount); nothing was saved."""
