"""What a message lists, on real stores and real HTTP receivers: every firing alert of the monitor, most severe
first, each marked new, reminder or resolved; and a channel added to a firing rule told at the next run."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.alert_world import SECRET, World, config_for
from tests.receivers import Receiver

COLUMN_RULE = (
    '[[monitors.rules]]\nname = "income drift"\nmetric = "drift.score"\ncolumn = "income"\nabove = 0.2\n'
    'severity = "info"\nchannels = ["hook"]\n'
)


@pytest.fixture
def receivers(httpserver):
    return Receiver(httpserver, "/hook", secret=SECRET), Receiver(httpserver, "/slack")


def listed(body: dict) -> list[tuple[str, str, str]]:
    return [(a["rule"], a["status"], a["reason"]) for a in body["alerts"]]


def test_a_reminder_lists_every_firing_alert_most_severe_first(database_url, receivers):
    hook, slack = receivers
    config = config_for(database_url, hook=hook.url, slack=slack.url, extra_rules=COLUMN_RULE)
    world = World(database_url, config)
    deliverer = world.deliverer()
    hours = {
        1: {"accuracy": 0.5},  # accuracy low fires
        2: {"accuracy": 0.5, "income": 0.5},  # income drift fires
        3: {"accuracy": 0.5, "income": 0.5, "share": 0.5},  # dataset drift pending (for_runs 2)
        4: {"accuracy": 0.5, "income": 0.5, "share": 0.5},  # dataset drift fires
    }
    for hour in range(1, 10):
        world.run(hour, **hours.get(hour, {"accuracy": 0.5, "income": 0.5, "share": 0.5}))
        assert deliverer.drain(5) == 0
        world.clock.advance(hours=1)
    assert [listed(b) for b in hook.bodies] == [
        [("accuracy low", "firing", "first_notification")],
        [("accuracy low", "firing", "reminder"), ("income drift", "firing", "first_notification")],
        [
            ("dataset drift", "firing", "first_notification"),
            ("accuracy low", "firing", "reminder"),
            ("income drift", "firing", "reminder"),
        ],
        # Four hours after the last message: one reminder, and it shows all three.
        [
            ("dataset drift", "firing", "reminder"),
            ("accuracy low", "firing", "reminder"),
            ("income drift", "firing", "reminder"),
        ],
    ]
    reminder = hook.bodies[-1]
    assert reminder["status"] == "firing" and reminder["window"]["end"] == "2026-11-22T09:00:00Z"
    assert [a["severity"] for a in reminder["alerts"]] == ["critical", "warning", "info"]
    assert [a["summary"] for a in reminder["alerts"]] == [
        "drift.share 50%, above 30%",
        "accuracy 0.5, below 0.7 (0.71x the threshold)",
        "drift.score [income] 0.5, above 0.2 (2.5x the threshold)",
    ]
    assert [a["duration"] for a in reminder["alerts"]] == ["6 h", "8 h", "7 h"]
    assert all(isinstance(a["value"], float) and isinstance(a["threshold"], float) for a in reminder["alerts"])
    # Slack hears of dataset drift only (its rule's channels), in the same words.
    assert [b["text"].split("\n")[0] for b in slack.bodies] == [
        "FIRING: credit (1 firing)",
        "FIRING: credit (1 firing, reminder)",
    ]
    assert "dataset drift (critical, reminder): drift.share 50%, above 30% · firing for 6 h" in slack.bodies[-1]["text"]


def test_a_resolve_is_told_beside_the_alerts_still_firing(database_url, receivers):
    hook, slack = receivers
    world = World(database_url, config_for(database_url, hook=hook.url, slack=slack.url, extra_rules=COLUMN_RULE))
    world.run(1, accuracy=0.5, income=0.5)
    world.clock.advance(hours=1)
    world.run(2, accuracy=0.9, income=0.5)
    world.deliverer().drain(5)
    # Both unsent messages fold into one: the newer state of each alert, an unsent first stays first.
    assert [listed(b) for b in hook.bodies] == [
        [("accuracy low", "resolved", "resolved"), ("income drift", "firing", "first_notification")]
    ]
    world.clock.advance(hours=1)
    world.run(3, accuracy=0.5, income=0.5)
    world.deliverer().drain(5)
    assert listed(hook.bodies[-1]) == [
        ("accuracy low", "firing", "first_notification"),
        ("income drift", "firing", "reminder"),
    ]


def test_a_channel_added_to_a_firing_rule_is_told_at_the_next_run(database_url, receivers):
    hook, slack = receivers
    world = World(database_url, config_for(database_url, hook=hook.url, slack=slack.url))
    world.run(1, accuracy=0.5)
    world.deliverer().drain(5)
    assert [listed(b) for b in hook.bodies] == [[("accuracy low", "firing", "first_notification")]]
    assert slack.requests == []
    # A reload (or a restart) with slack added to the rule, an hour later: far before repeat_interval (4 h).
    reloaded = World(
        database_url,
        config_for(database_url, hook=hook.url, slack=slack.url, accuracy_channels='["hook", "slack"]'),
    )
    reloaded.clock.advance(hours=1)
    queued = reloaded.run(2, accuracy=0.5)
    assert [m.channel for m in queued] == ["slack"]
    reloaded.deliverer().drain(5)
    assert len(hook.requests) == 1, "the channel that was told is not told again"
    [message] = slack.bodies
    assert message["text"].startswith("FIRING: credit (1 firing)")
    assert "accuracy low (warning, new): accuracy 0.5, below 0.7" in message["text"]
    reloaded.clock.advance(hours=1)
    assert reloaded.run(3, accuracy=0.5) == [], "both told now: nothing until the repeat"
    reloaded.clock.advance(hours=3)
    assert sorted(m.channel for m in reloaded.run(4, accuracy=0.5)) == ["hook", "slack"]


def test_a_reminder_shows_the_usual_range_of_a_rule_relative_to_the_reference(database_url, receivers):
    hook, slack = receivers
    rule = (
        '[[monitors.rules]]\nname = "accuracy unusual"\nmetric = "accuracy"\noutside_reference = 3\n'
        'channels = ["hook"]\n'
    )
    world = World(database_url, config_for(database_url, hook=hook.url, slack=slack.url, extra_rules=rule))
    deliverer = world.deliverer()
    world.run(1, accuracy=0.75, accuracy_mean=0.9, accuracy_std=0.02)
    deliverer.drain(5)
    world.clock.advance(hours=4)
    world.run(5, share=0.1)  # no accuracy figure: the reminder is told from the stored state
    deliverer.drain(5)
    usual = "accuracy 0.75, outside its usual 0.84..0.96 (reference mean 0.9, 3 std)"
    assert [[(a["reason"], a["summary"]) for a in b["alerts"]] for b in hook.bodies] == [
        [("first_notification", usual)],
        [("reminder", usual)],
    ]


def test_alerts_told_before_the_store_kept_channels_are_not_told_again(database_url, receivers):
    """Rows written before migration 0007 have no per-channel record: every channel of the rule counts as told."""
    from alerts.models import AlertChannel  # imported here: the other tests also run against older stores

    hook, slack = receivers
    world = World(database_url, config_for(database_url, hook=hook.url, slack=slack.url))
    world.run(1, accuracy=0.5)
    with world.store.transaction() as session:
        session.execute(sa.delete(AlertChannel))
    world.clock.advance(hours=1)
    assert world.run(2, accuracy=0.5) == []
    with world.store.session() as session:
        assert session.scalars(sa.select(AlertChannel.channel)).all() == ["hook"]
