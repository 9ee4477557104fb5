"""Signatures per the Standard Webhooks specification."""

import base64

from tests.webhooks.receiver import expected_signature
from webhooks import signing

# The specification's published example (standard-webhooks, spec/standard-webhooks.md and the
# reference libraries' tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_is_the_specifications_reference_signature():
    signed = signing.sign(SPEC_SECRET, webhook_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY)
    assert signed == SPEC_SIGNATURE
    # and the test receiver's own implementation agrees, so it can judge real deliveries
    assert expected_signature(SPEC_SECRET, SPEC_ID, str(SPEC_TIMESTAMP), SPEC_BODY) == signed


def test_a_changed_body_id_or_timestamp_changes_the_signature():
    base = {"webhook_id": SPEC_ID, "timestamp": SPEC_TIMESTAMP, "body": SPEC_BODY}
    for change in (
        {"body": b'{"test": 2432232315}'},
        {"webhook_id": "msg_other"},
        {"timestamp": SPEC_TIMESTAMP + 1},
    ):
        assert signing.sign(SPEC_SECRET, **{**base, **change}) != SPEC_SIGNATURE


def test_new_secrets_are_whsec_and_32_random_bytes():
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_headers_carry_id_timestamp_and_signature():
    headers = signing.headers(
        SPEC_SECRET, webhook_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY
    )
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": SPEC_SIGNATURE,
    }
