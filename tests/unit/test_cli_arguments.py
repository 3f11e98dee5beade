"""The command line's pure pieces: --since, did-you-mean, and where -c may go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.cli import build_parser
from monitor.commands.filters import check_choice, did_you_mean
from monitor.errors import UsageError
from monitor.times import parse_since

NOW = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", NOW - timedelta(days=1)),
        ("6h", NOW - timedelta(hours=6)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2026-11-20T00:00:00Z", datetime(2026, 11, 20, tzinfo=UTC)),
    ],
)
def test_since_is_a_time_or_a_duration_back_from_now(text, expected):
    assert parse_since(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-11-20T00:00:00", "-1d", "0h"])
def test_since_refuses_what_is_neither(text):
    with pytest.raises(ValueError, match="neither a time nor a duration"):
        parse_since(text, now=NOW)


def test_did_you_mean_names_the_closest_names_only():
    assert did_you_mean("drift.shar", {"drift.share", "rows"}) == '; did you mean "drift.share"?'
    assert did_you_mean("zzz", {"drift.share", "rows"}) == ""


def test_a_choice_is_looked_up_in_the_store_only_when_not_known():
    asked = []

    def stored():
        asked.append(True)
        return ["drift.ratio"]

    check_choice("--metric", "rows", frozenset({"rows"}), stored)
    assert not asked
    check_choice("--metric", "drift.ratio", frozenset({"rows"}), stored)
    with pytest.raises(UsageError, match=r'unknown metric .drift\.rati.; did you mean "drift\.ratio"') as error:
        check_choice("--metric", "drift.rati", frozenset({"rows"}), stored)
    assert error.value.exit_code == 2


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-c", "a.toml", "status"], "a.toml"),
        (["status", "-c", "b.toml"], "b.toml"),
        (["--config", "a.toml", "config", "check"], "a.toml"),
        (["-c", "a.toml", "status", "-c", "b.toml"], "b.toml"),
        (["status"], None),
    ],
)
def test_the_config_option_goes_before_or_after_the_command(argv, expected):
    assert build_parser().parse_args(argv).config == expected


def test_status_orders_alerts_by_severity_then_state_monitor_and_rule():
    from types import SimpleNamespace

    from monitor.commands.status import most_severe_first

    def alert(monitor, rule, severity, state="firing"):
        return SimpleNamespace(monitor=monitor, rule=rule, severity=severity, state=state, column_name="", segment="")

    alerts = [
        alert("a", "x", "info"),
        alert("b", "y", "critical", "pending"),
        alert("b", "x", "warning"),
        alert("z", "y", "critical"),
        alert("a", "y", "warning"),
    ]
    assert [(a.monitor, a.rule) for a in most_severe_first(alerts)] == [
        ("z", "y"),
        ("b", "y"),
        ("a", "y"),
        ("b", "x"),
        ("a", "x"),
    ]
