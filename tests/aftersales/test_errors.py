"""Which refusals mean the request moved on: the pages (and the staff admin) then show the
reason above the request's current page instead of re-showing the form with the error."""

import pytest

from aftersales.errors import (
    ActionNotAllowed,
    AfterSalesError,
    Ineligible,
    InvalidInput,
    RefundLimitExceeded,
    StaleAction,
)


@pytest.mark.parametrize(
    "error, moved_on",
    [
        (StaleAction(), True),
        (ActionNotAllowed(), True),
        (AfterSalesError(), False),
        (Ineligible("window passed"), False),
        (RefundLimitExceeded(), False),
        (InvalidInput("bad tracking number"), False),
    ],
)
def test_only_stale_and_not_allowed_actions_mean_the_request_moved_on(error, moved_on):
    assert error.moved_on is moved_on
