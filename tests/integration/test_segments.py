"""Segments, fairness and model versions through real runs on SQLite and PostgreSQL: the figures per segment,
the alerts per segment, the fairness rule, a new model version as a new segment, and reading them back."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from alerts.models import Alert, OutboxMessage
from monitor.store.history import figures
from monitor.windows import Window
from tests.helpers import T0, hooked_runner

SHIFT = T0 + timedelta(hours=30)
STABLE = Window(T0 + timedelta(hours=27), T0 + timedelta(hours=28))
DRIFTED = Window(T0 + timedelta(hours=40), T0 + timedelta(hours=41))


def segmented_log(per_hour: int = 2000, hours: int = 48, seed: int = 4) -> pd.DataFrame:
    """From SHIFT: in region "west" (10 % of rows) age moves by 0.6 std, and women are approved 30 % of the time
    instead of 50 %. From the drifted window on, a new model version "v2" takes a fifth of the traffic."""
    rng = np.random.default_rng(seed)
    n = per_hour * hours
    ts = T0 + pd.to_timedelta(np.sort(rng.uniform(0, hours * 3600, n)), unit="s")
    after = np.asarray(ts >= pd.Timestamp(SHIFT))
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.5, 0.25, 0.15, 0.1])
    gender = rng.choice(["f", "m"], n)
    age = rng.normal(40, 10, n) + np.where(after & (region == "west"), 6.0, 0.0)
    score = 1 / (1 + np.exp(-(age - 40) / 10))
    approval = np.where(after & (gender == "f"), 0.3, 0.5)
    approved = (rng.random(n) < approval).astype(int)
    canary = np.asarray(ts >= pd.Timestamp(DRIFTED.start))
    version = np.where(canary & (rng.random(n) < 0.2), "v2", "v1")
    label = (rng.random(n) < score).astype(int)
    return pd.DataFrame(
        {
            "ts": list(ts.to_pydatetime()),
            "age": age,
            "income": rng.lognormal(10, 0.5, n),
            "region": region,
            "gender": gender,
            "model_version": version,
            "score": score,
            "approved": approved,
            "label": label,
        }
    )


RULES = """
segments = ["region", "model_version"]
protected_attributes = ["gender"]
prediction_label_column = "approved"

[[monitors.rules]]
name = "segment drift"
metric = "drift.share"
segment = "*"
above = 0.3
channels = ["hook"]

[[monitors.rules]]
name = "four-fifths"
metric = "fairness.selection_rate_ratio"
column = "gender"
below = 0.8
severity = "critical"
channels = ["hook"]
"""


@pytest.fixture
def runner(tmp_path, database_url):
    with hooked_runner(tmp_path, database_url, segmented_log(), RULES, min_rows=100) as found:
        yield found


def by_segment(result) -> dict[tuple[str, str, str], float | None]:
    return {(r.metric, r.column, r.segment): r.value for r in result.metrics}


def test_a_shift_in_one_small_segment_is_seen_there(runner):
    run, config = runner
    stable = by_segment(run.run(config.monitors[0], STABLE))
    assert stable[("drift.share", "", "region=west")] == 0.0
    assert stable[("rows", "", "region=north")] > stable[("rows", "", "region=west")] > 100
    drifted = by_segment(run.run(config.monitors[0], DRIFTED))
    assert drifted[("drift.detected", "age", "region=west")] == 1.0
    assert drifted[("drift.detected", "age", "region=north")] == 0.0
    # The whole window's figures keep segment "" and are not diluted into the segment's.
    assert ("drift.detected", "age", "") in drifted
    with run.store.session() as session:
        alerts = session.scalars(sa.select(Alert).where(Alert.rule == "segment drift")).all()
        [message] = session.scalars(sa.select(OutboxMessage)).all()
    firing = {a.segment for a in alerts if a.state == "firing"}
    assert "region=west" in firing and "region=north" not in firing
    notified = json.loads(message.payload)["alerts"]
    assert {"region=west"} <= {a["segment"] for a in notified if a["rule"] == "segment drift"}
    assert len({(a["rule"], a["segment"]) for a in notified}) == len(notified), "one alert per segment"


def test_fairness_figures_and_the_four_fifths_rule(runner):
    run, config = runner
    stable = by_segment(run.run(config.monitors[0], STABLE))
    assert stable[("fairness.selection_rate_ratio", "gender", "")] > 0.8
    drifted = by_segment(run.run(config.monitors[0], DRIFTED))
    rates = {g: drifted[("fairness.selection_rate", "gender", f"gender={g}")] for g in ("f", "m")}
    assert rates["f"] == pytest.approx(0.3, abs=0.05) and rates["m"] == pytest.approx(0.5, abs=0.05)
    assert drifted[("fairness.selection_rate_ratio", "gender", "")] == pytest.approx(rates["f"] / rates["m"])
    assert ("fairness.tpr_difference", "gender", "") in drifted, "labels are in: error rates compared too"
    with run.store.session() as session:
        rule = session.scalars(sa.select(Alert).where(Alert.rule == "four-fifths")).one()
    assert rule.state == "firing" and rule.column_name == "gender"


def test_a_new_model_version_is_a_new_segment_not_a_drift_alarm(runner):
    run, config = runner
    drifted = by_segment(run.run(config.monitors[0], DRIFTED))
    assert drifted[("rows", "", "model_version=v2")] > 100
    assert ("drift.share", "", "model_version=v2") not in drifted, "no reference of its own yet: no drift verdict"
    assert ("accuracy", "", "model_version=v2") in drifted and ("accuracy", "", "model_version=v1") in drifted
    assert not any(column == "model_version" for (metric, column, _) in drifted if metric == "drift.detected")


def test_segment_figures_read_back_by_segment(runner):
    run, config = runner
    run.run(config.monitors[0], DRIFTED)
    with run.store.reading() as session:
        west = figures(session, "credit", metric="drift.share", segment="region=west")
        everything = figures(session, "credit", metric="drift.share")
    assert [f.segment for f in west] == ["region=west"]
    assert {f.segment for f in everything} >= {"", "region=north", "region=west"}
