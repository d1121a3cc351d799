"""Deliveries signed by cms.webhooks.signing verify with the reference Standard Webhooks library."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cms.webhooks import signing

BODY = json.dumps({"event": "entry.published", "data": {"id": "01J0", "title": "Été"}}).encode()


def headers_for(secrets, body=BODY, msg_id="msg_01J0ABC", timestamp=None):
    return signing.signed_headers(secrets, msg_id, int(time.time()) if timestamp is None else timestamp, body)


def test_new_secrets_are_random_and_well_formed():
    first, second = signing.new_secret(), signing.new_secret()

    assert first != second
    assert first.startswith("whsec_")
    assert len(signing.check_secret(first)) >= 24


def test_a_delivery_verifies_with_the_reference_library():
    secret = signing.new_secret()

    headers = headers_for(secret)

    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert " " not in headers["webhook-signature"]
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_the_signature_matches_the_specified_construction():
    secret = "whsec_" + base64.b64encode(bytes(range(32))).decode()

    expected = hmac.new(bytes(range(32)), b"msg_1.1700000000." + BODY, hashlib.sha256).digest()

    assert signing.signature(secret, "msg_1", 1700000000, BODY) == "v1," + base64.b64encode(expected).decode()


def test_during_rotation_a_receiver_with_either_secret_accepts_the_delivery():
    old, new = signing.new_secret(), signing.new_secret()

    headers = headers_for([old, new])

    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(BODY, headers) == json.loads(BODY)
    assert Webhook(new).verify(BODY, headers) == json.loads(BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_a_repeated_secret_is_signed_once():
    secret = signing.new_secret()

    assert len(headers_for([secret, secret])["webhook-signature"].split(" ")) == 1


def test_a_tampered_body_fails_verification():
    secret = signing.new_secret()
    headers = headers_for(secret)

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(BODY.replace(b"published", b"deleted"), headers)


def test_a_wrong_secret_fails_verification():
    headers = headers_for(signing.new_secret())

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_a_stale_timestamp_fails_verification():
    secret = signing.new_secret()
    headers = headers_for(secret, timestamp=int(time.time()) - 3600)

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def test_a_secret_printed_without_base64_padding_is_accepted():
    key = bytes(range(25))  # 25 bytes: its base64 ends with "=="
    padded = "whsec_" + base64.b64encode(key).decode()

    assert signing.check_secret(padded.rstrip("=")) == key
    assert signing.signature(padded.rstrip("="), "m", 1, b"{}") == signing.signature(padded, "m", 1, b"{}")


@pytest.mark.parametrize(("secret", "message"), [
    (None, "starting with 'whsec_'"),
    ("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "starting with 'whsec_'"),
    ("whsec_not base64!", "standard base64"),
    ("whsec_" + base64.b64encode(b"short").decode(), "24 to 64 bytes"),
    ("whsec_" + base64.b64encode(bytes(65)).decode(), "24 to 64 bytes"),
])
def test_a_malformed_secret_is_refused_with_a_clear_message(secret, message):
    with pytest.raises(ValueError, match=message):
        signing.check_secret(secret)


@pytest.mark.parametrize(("msg_id", "timestamp", "body"), [
    ("", 1, b"{}"),
    ("msg 1", 1, b"{}"),
    ("msg\n1", 1, b"{}"),
    ("msg_1", "1", b"{}"),
    ("msg_1", 1.5, b"{}"),
    ("msg_1", 1, "{}"),
])
def test_bad_message_parts_are_refused(msg_id, timestamp, body):
    with pytest.raises(ValueError):
        signing.signature(signing.new_secret(), msg_id, timestamp, body)


def test_signing_needs_at_least_one_secret():
    with pytest.raises(ValueError, match="At least one secret"):
        signing.signed_headers([], "msg_1", 1, b"{}")
