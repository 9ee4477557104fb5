"""The README's way to verify a delivery works on real deliveries, and refuses forged ones."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.aftersales.factories import file_request

pytestmark = pytest.mark.django_db


def readme_verify():
    text = (Path(settings.BASE_DIR) / "README.md").read_text()
    snippet = re.search(r"<!-- webhook-verify -->\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the README's own code
    return namespace["verify"]


def test_the_readme_snippet_verifies_a_real_delivery(
    item, endpoint, receiver, django_capture_on_commit_callbacks
):
    verify = readme_verify()
    with django_capture_on_commit_callbacks(execute=True):
        file_request(item)
    [got] = receiver.received
    assert verify(endpoint.secret, got.headers, got.body)
    # a changed body, another secret or an old timestamp are refused
    assert not verify(endpoint.secret, got.headers, got.body.replace(b"submitted", b"refunded"))
    assert not verify("whsec_" + "A" * 44, got.headers, got.body)
    old = {**got.headers, "webhook-timestamp": str(int(got.headers["webhook-timestamp"]) - 600)}
    assert not verify(endpoint.secret, old, got.body)
