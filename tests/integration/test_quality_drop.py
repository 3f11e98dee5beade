"""What explains a quality drop, through real runs on SQLite and PostgreSQL: the notification (and the report)
name the segment the drop is in, and the feature whose shift took the estimate down."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from alerts.models import OutboxMessage
from monitor.runner import Runner
from monitor.windows import Window
from tests.helpers import T0, hooked_runner

# From hour 30 to 36 the model is wrong in region "west" only (its labels turn over: a concept change there);
# from hour 40 on, age (what the model's score follows) bunches where the model cannot tell, and income (which
# the model ignores) triples.
SEGMENT_DROP = Window(T0 + timedelta(hours=32), T0 + timedelta(hours=33))
FEATURE_DROP = Window(T0 + timedelta(hours=42), T0 + timedelta(hours=43))


def drop_log(per_hour: int = 600, hours: int = 44, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = per_hour * hours
    hour = np.sort(rng.uniform(0, hours, n))
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.35, 0.25, 0.15, 0.25])
    squeezed = hour >= 40
    age = np.where(squeezed, rng.normal(40, 4, n), rng.normal(40, 10, n))
    income = rng.lognormal(10, 0.5, n) * np.where(squeezed, 3.0, 1.0)
    score = 1 / (1 + np.exp(-(age - 40) / 3))
    label = (rng.random(n) < score).astype(int)
    turned = (hour >= 30) & (hour < 36) & (region == "west")
    label = np.where(turned, 1 - label, label)
    return pd.DataFrame(
        {
            "ts": list((T0 + pd.to_timedelta(hour * 3600, unit="s")).to_pydatetime()),
            "age": age,
            "income": income,
            "region": region,
            "score": score,
            "approved": (score >= 0.5).astype(int),
            "label": label,
        }
    )


RULES = """
segments = ["region"]
prediction_label_column = "approved"

[[monitors.rules]]
name = "accuracy drop"
metric = "accuracy"
outside_reference = 3.0
channels = ["hook"]

[[monitors.rules]]
name = "estimated accuracy drop"
metric = "estimated.accuracy"
outside_reference = 3.0
channels = ["hook"]
"""


@pytest.fixture
def runner(tmp_path, database_url):
    reference = f'{{ start = "{T0.isoformat()}", end = "{(T0 + timedelta(hours=24)).isoformat()}" }}'
    with hooked_runner(tmp_path, database_url, drop_log(), RULES, reference=reference, min_rows=100) as found:
        yield found


def notified(run: Runner, rule: str) -> dict:
    with run.store.session() as session:
        messages = session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    alerts = [a for m in messages for a in json.loads(m.payload)["alerts"] if a["rule"] == rule]
    assert alerts, f"{rule} notified"
    return alerts[-1]


def test_a_drop_all_in_one_segment_names_that_segment_first(runner):
    run, config = runner
    result = run.run(config.monitors[0], SEGMENT_DROP)
    figures = {(r.metric, r.column, r.segment): r.value for r in result.metrics}
    assert figures[("accuracy", "", "region=west")] < 0.5 < figures[("accuracy", "", "region=north")]
    alert = notified(run, "accuracy drop")
    assert alert["status"] == "firing"
    assert alert["explanation"].startswith("accounted for by region=west ("), alert["explanation"]
    share = int(alert["explanation"].split("region=west (", 1)[1].split("%")[0])
    assert share >= 90, alert["explanation"]
    report = (config.service.reports_dir / result.report_path).read_text()
    assert "What explains the quality drop" in report and "region=west" in report


def test_a_shift_in_the_feature_the_score_follows_is_named_for_an_estimated_drop(runner):
    run, config = runner
    result = run.run(config.monitors[0], FEATURE_DROP)
    figures = {(r.metric, r.column, r.segment): r.value for r in result.metrics}
    assert figures[("drift.detected", "income", "")] == 1.0, "the ignored feature drifts too, and more"
    effects = {c: v for (m, c, s), v in figures.items() if m == "estimated.accuracy.shift_effect" and not s}
    drop = figures[("estimated.accuracy.reference_mean", "", "")] - figures[("estimated.accuracy", "", "")]
    assert drop > 0.05
    assert -effects["age"] > drop / 2, (drop, effects)
    assert -effects.get("income", 0.0) < drop / 10, "resetting income brings little back"
    alert = notified(run, "estimated accuracy drop")
    explanation = alert["explanation"]
    assert "resetting one feature's shift brings back: age (" in explanation, explanation
    assert "income" not in explanation, explanation
