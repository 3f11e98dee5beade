"""Receiver outage drill: the webhook and Slack receivers down for a stretch of a busy alert stream, then back;
afterwards one down for good. Alerting runs in process on a virtual clock (tests/alert_world.py), with real
HTTP receivers, so an outage of hours takes seconds.

Shared by the short version in the tests and the long one in bench/drills.py.
"""

from __future__ import annotations

from datetime import timedelta

from pytest_httpserver import HTTPServer

from alerts import outbox
from tests.alert_world import SECRET, World, config_for
from tests.receivers import Receiver

DOWN = (503, "service unavailable", {})
UP = (200, "ok", {})


def run_receiver_outage_drill(
    store_url: str, server: HTTPServer, *, runs: int, outage: timedelta, step: timedelta = timedelta(minutes=1)
) -> dict[str, object]:
    """`runs` runs, one every `step`, whose alerts fire and resolve in turn; both receivers answer 503 for
    `outage` from the tenth run on. Then the webhook receiver goes down for good past `give_up_after`."""
    hook, slack = Receiver(server, "/hook", secret=SECRET), Receiver(server, "/slack")
    world = World(store_url, config_for(store_url, hook=hook.url, slack=slack.url))
    deliverer = world.deliverer()
    outage_starts = 10
    outage_ends_at = None
    accepted_from: dict[str, int] = {}
    refused_from: dict[str, int] = {}
    try:
        for hour in range(1, runs + 1):
            if hour == outage_starts:
                hook.default = slack.default = DOWN
                refused_from = {"hook": len(hook.requests), "slack": len(slack.requests)}
                outage_ends_at = world.clock() + outage
            if outage_ends_at is not None and world.clock() >= outage_ends_at and not accepted_from:
                hook.default = slack.default = UP
                accepted_from = {"hook": len(hook.requests), "slack": len(slack.requests)}
            # drift fires after two breaching runs (for_runs = 2) and resolves; accuracy flips every run
            world.run(hour, share=0.6 if (hour // 3) % 2 else 0.1, accuracy=0.5 if hour % 2 else 0.9)
            deliverer.run_once()
            world.clock.advance(seconds=step.total_seconds())
        assert accepted_from, "the outage ended within the drill; give it more runs"
        for _ in range(200):  # the backlog, on the clock
            if not _queued(world):
                break
            world.clock.advance(minutes=1)
            deliverer.run_once()
        messages = world.queued()
        figures: dict[str, object] = {
            "runs": runs,
            "outage_minutes": outage.total_seconds() / 60,
            "notifications": len(messages),
            "delivered": sum(m.status == "delivered" for m in messages),
            "requests_refused_during_outage": sum(accepted_from[c] - refused_from[c] for c in accepted_from),
            "most_attempts": max(m.attempts for m in messages),
        }
        assert figures["delivered"] == len(messages), {m.status for m in messages}
        hook_messages = [m for m in messages if m.channel == "hook"]
        _check_once_each_in_order(hook_messages, hook.delivery_ids[accepted_from["hook"] :])
        # Slack takes no delivery id: every message there once, none twice.
        slack_messages = sum(m.channel == "slack" for m in messages)
        assert refused_from["slack"] + len(slack.requests) - accepted_from["slack"] == slack_messages
        assert hook.bad_signatures == 0, "every retry is signed anew"

        # Down for good: the next notification outlives give_up_after and is dead, with the reason.
        hook.default = (500, "still broken", {})
        before = {m.id for m in messages}
        world.run(runs + 1, share=0.1, accuracy=0.5 if (runs + 1) % 2 else 0.9)
        world.run(runs + 2, share=0.1, accuracy=0.5 if (runs + 2) % 2 else 0.9)
        for _ in range(120):
            world.clock.advance(minutes=1)
            deliverer.run_once()
        dead = [m for m in world.queued() if m.id not in before and m.channel == "hook"]
        assert dead and all(m.status == "dead" and "gave up" in (m.last_error or "") for m in dead), dead
        with world.store.session() as session:
            figures["dead_counted"] = outbox.backlog(session).dead
        assert figures["dead_counted"] == len(dead)
        figures["dead_reason"] = dead[0].last_error
        return figures
    finally:
        deliverer.close()
        world.store.dispose()


def _queued(world: World) -> int:
    return sum(m.status == "queued" for m in world.queued())


def _check_once_each_in_order(messages: list, accepted_ids: list[str]) -> None:
    """Each notification accepted once, under its own delivery id, in the order it was queued."""
    delivered_before = {m.delivery_id for m in messages} - set(accepted_ids)
    late = [m for m in messages if m.delivery_id not in delivered_before]
    assert len(accepted_ids) == len(set(accepted_ids)), "a delivery id accepted twice"
    assert accepted_ids == [m.delivery_id for m in late], "out of order, or missing, after the outage"
