"""Webhook deliveries signed as Standard Webhooks, verified by the maintained `standardwebhooks` library."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from monitor.config import parse_config
from monitor.errors import ConfigError
from tests.alert_world import World, config_text
from tests.receivers import Receiver

WHSEC = "whsec_" + base64.b64encode(b"drifthound-test-key-0123456789").decode()


@pytest.fixture
def delivered(httpserver, tmp_path) -> list[dict]:
    """Two deliveries (firing, then resolved) as the receiver got them: headers and raw body."""
    hook = Receiver(httpserver, "/hook", secret=WHSEC)
    config = parse_config(
        config_text(f"sqlite:///{tmp_path / 'store.db'}", hook=hook.url), environ={"HOOK_SECRET": WHSEC}
    )
    world = World(f"sqlite:///{tmp_path / 'store.db'}", config)
    world.run(1, accuracy=0.5)
    world.deliverer().drain(5)
    world.clock.advance(hours=1)
    world.run(2, accuracy=0.9)
    world.deliverer().drain(5)
    assert len(hook.requests) == 2 and hook.bad_signatures == 0
    return [{"headers": r["headers"], "body": r["raw"]} for r in hook.requests]


def test_every_delivery_verifies_with_the_standard_library_and_its_id_is_the_delivery_id(delivered):
    verifier = Webhook(WHSEC)
    for delivery in delivered:
        payload = verifier.verify(delivery["body"], delivery["headers"])
        assert delivery["headers"]["Webhook-Id"] == payload["delivery_id"]
        assert delivery["headers"]["Webhook-Id"] == delivery["headers"]["X-Drifthound-Delivery"]
    assert [json.loads(d["body"])["status"] for d in delivered] == ["firing", "resolved"]


def test_a_body_altered_by_one_byte_or_an_old_timestamp_is_refused(delivered):
    verifier = Webhook(WHSEC)
    delivery = delivered[0]
    body = delivery["body"]
    tampered = body.replace(b'"firing"', b'"firinG"')
    assert len(tampered) == len(body) and tampered != body
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, delivery["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another key").decode()).verify(body, delivery["headers"])
    # A replay: the same signed message presented an hour after it was signed.
    signed_at = int(delivery["headers"]["Webhook-Timestamp"])
    assert abs(signed_at - time.time()) < 120
    old = {**delivery["headers"], "Webhook-Timestamp": str(signed_at - 3600)}
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, old)


def test_a_whsec_secret_that_is_not_base64_is_a_configuration_error_without_the_secret(tmp_path):
    with pytest.raises(ConfigError) as error:
        parse_config(config_text(f"sqlite:///{tmp_path / 's.db'}"), environ={"HOOK_SECRET": "whsec_not*base64!"})
    assert "channels.hook.secret" in str(error.value) and "base64" in str(error.value)
    assert "not*base64!" not in str(error.value)
