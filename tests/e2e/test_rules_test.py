"""`drifthound rules test` predicts what the daemon does: a stricter and a looser set of rules than the demo's,
each run live (backfill, notifying) into its own store, and each replayed by `rules test` on the *other*
store, whose figures were stored under different rules. The fired and resolved times it prints, and every
state change it derives, equal the alert events the live run stored."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.commands.rules import open_store, replay
from monitor.config import load_config
from monitor.demo import CONFIG_TEMPLATE, write_demo
from tests.e2e.cli import drifthound, start

pytestmark = pytest.mark.e2e

# Per-column, per-segment, relative and plain rules, each in a stricter and a looser form than the demo's
# (drift.share above 0.3 for 2 runs; estimated.roc_auc outside 3 std for 2 runs).
RULES = {
    "strict": """
[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.1
channels = ["log"]

[[monitors.rules]]
name = "column drift"
metric = "drift.score"
column = "*"
above = 1.0
channels = ["log"]

[[monitors.rules]]
name = "segment drift"
metric = "drift.share"
segment = "*"
above = 0.2
for_runs = 2
channels = ["log"]

[[monitors.rules]]
name = "model quality (estimated)"
metric = "estimated.roc_auc"
outside_reference = 2.0
channels = ["log"]
""",
    "loose": """
[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.5
for_runs = 3
channels = ["log"]

[[monitors.rules]]
name = "column drift"
metric = "drift.score"
column = "*"
above = 2.5
for_runs = 2
resolve_after = 2
channels = ["log"]

[[monitors.rules]]
name = "segment drift"
metric = "drift.share"
segment = "*"
above = 0.4
for_runs = 3
channels = ["log"]

[[monitors.rules]]
name = "model quality (estimated)"
metric = "estimated.roc_auc"
outside_reference = 4.0
for_runs = 3
channels = ["log"]
""",
}
OTHER = {"strict": "loose", "loose": "strict"}


def _config(directory: Path, rules: str, store: str) -> Path:
    head = CONFIG_TEMPLATE[: CONFIG_TEMPLATE.index("[[monitors.rules]]")]
    head = head.replace('store_url = "sqlite:///drifthound.db"', f'store_url = "sqlite:///{store}.db"')
    head = head.replace('reports_dir = "reports"', f'reports_dir = "reports-{store}"')
    head = head.replace("min_rows = 200", "min_rows = 100")  # a small log: each region's figures too
    path = directory / f"{rules}-rules-on-{store}-store.toml"
    path.write_text(f'{head}{RULES[rules]}\n[channels.log]\ntype = "log"\n')
    return path


def _hour(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def live_runs(tmp_path_factory) -> Path:
    """A small demo log, and the daemon's real run path (backfill with notifications) once per rule set."""
    directory = tmp_path_factory.mktemp("rules-test")
    demo = write_demo(directory, now=datetime.now(UTC), days=6, per_hour=600)
    first = demo.drift_start - timedelta(hours=3)
    runs = [
        start(
            "backfill",
            "-c",
            str(_config(directory, name, name)),
            "-m",
            "credit-scoring",
            "--start",
            _hour(first),
            "--end",
            _hour(first + timedelta(hours=9)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name in RULES
    ]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
    return directory


def _stored_events(database: Path) -> list[tuple[str, str, str, datetime, str, str]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT a.rule, a.column_name, a.segment, e.window_end, e.from_state, e.to_state "
            "FROM alert_events e JOIN alerts a ON a.id = e.alert_id"
        ).fetchall()
    return sorted((r, c, s, datetime.fromisoformat(end).replace(tzinfo=UTC), f, t) for r, c, s, end, f, t in rows)


def _key_text(column: str, segment: str) -> str:
    parts = [f"column {column}" if column else "", f"segment {segment}" if segment else ""]
    return ", ".join(p for p in parts if p) or "dataset"


def _printed_times(output: str) -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    """(rule, alert key) -> (fired times, resolved times), as `rules test` printed them."""
    found = {}
    rule = None
    for line in output.splitlines():
        if heading := re.match(r'rule "([^"]+)": ', line):
            rule = heading.group(1)
        elif (alert := re.match(r"  (\S.*?): (fired|firing before)", line)) and rule:
            found[(rule, alert.group(1))] = (
                re.findall(r"fired (\S+) ", line),
                re.findall(r"resolved (\S+?)[,;]?(?:\s|$)", line),
            )
    return found


@pytest.mark.parametrize("rules", ["strict", "loose"])
def test_rules_test_predicts_the_live_alert_events(live_runs: Path, rules: str) -> None:
    live = _stored_events(live_runs / f"{rules}.db")
    assert any(to == "firing" for *_, to in live), "the live run never fired: the comparison would prove nothing"
    replayed_store = live_runs / f"{OTHER[rules]}.db"
    config_file = _config(live_runs, rules, OTHER[rules])
    before = hashlib.sha256(replayed_store.read_bytes()).hexdigest()

    shown = drifthound("rules", "test", "-c", str(config_file), "-m", "credit-scoring", "--since", "3d")
    assert shown.returncode == 0, shown.stderr
    assert hashlib.sha256(replayed_store.read_bytes()).hexdigest() == before, "rules test wrote to the store"

    expected: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for rule, column, segment, end, _, to in live:
        if to in ("firing", "resolved"):
            fired, resolved = expected.setdefault((rule, _key_text(column, segment)), ([], []))
            (fired if to == "firing" else resolved).append(_hour(end))
    assert _printed_times(shown.stdout) == expected, shown.stdout

    # Every state change (pending and cleared ones too) is the event the daemon stored.
    config = load_config(config_file)
    store = open_store(config)
    try:
        result = replay(config, store, config.monitor("credit-scoring"), datetime.now(UTC) - timedelta(days=3))
    finally:
        store.dispose()
    predicted = sorted(
        (c.rule, c.column, c.segment, c.window_end, c.before.value, c.after.value) for c in result.trial.changes
    )
    assert predicted == live


def test_the_stricter_rules_fire_more(live_runs: Path) -> None:
    fired = {name: sum(to == "firing" for *_, to in _stored_events(live_runs / f"{name}.db")) for name in RULES}
    assert fired["strict"] > fired["loose"] > 0
    strict = _stored_events(live_runs / "strict.db")
    assert any(to == "resolved" for *_, to in strict), "no alert resolved: the resolve times were never compared"
    assert any(segment and to == "firing" for _, _, segment, _, _, to in strict), "no segment alert fired"


def test_bad_usage_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = _config(tmp_path, "strict", "absent")
    cases = {
        ("-m", "no-such-monitor"): "no-such-monitor",
        ("--since", "last tuesday"): "--since",
        (): "holds no DriftHound results yet",
    }
    for arguments, named in cases.items():
        answer = drifthound("rules", "test", "-c", str(config), *arguments)
        assert answer.returncode == 2, (arguments, answer.stderr)
        assert answer.stderr.count("\n") == 1 and named in answer.stderr, answer.stderr
    assert not (tmp_path / "absent.db").exists(), "rules test created a store"

    broken = tmp_path / "broken.toml"
    broken.write_text(config.read_text().replace("above = 1.0", 'above = "high"'))
    answer = drifthound("rules", "test", "-c", str(broken))
    assert answer.returncode == 2 and answer.stderr.count("\n") == 1 and "above" in answer.stderr, answer.stderr
