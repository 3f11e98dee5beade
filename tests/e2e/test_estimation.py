"""Multiclass models and estimated quality, through the installed command as a user runs them: `check`, the
stored figures, the report and a rule on an estimate that fires before any label has arrived."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn import metrics as sk

from tests.e2e.cli import drifthound
from tests.receivers import Receiver

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 20, tzinfo=UTC)
SHIFT = START + timedelta(hours=40)
CLASSES = np.array(["cat", "dog", "eel"])


def write_log(url: str, *, hours: int = 48, per_hour: int = 400) -> pd.DataFrame:
    """A three-class model that is right about itself; from SHIFT its inputs move to where it is unsure
    (a covariate shift: what the model knows of x still holds, so estimates can follow)."""
    rng = np.random.default_rng(21)
    n = hours * per_hour
    ts = START + pd.to_timedelta(np.sort(rng.uniform(0, hours * 3600, n)), unit="s")
    shifted = np.asarray(ts >= pd.Timestamp(SHIFT))
    x = np.where(shifted, rng.normal(0.25, 0.25, n), rng.normal(0, 1.2, n))
    logits = np.column_stack([x, -x, np.full(n, 0.5)]) * 2.0
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1)
    frame = pd.DataFrame(
        {
            "ts": ts.tz_localize(None),
            "x": x,
            "region": rng.choice(["north", "south"], n),
            "p_cat": p[:, 0].round(6),
            "p_dog": p[:, 1].round(6),
            "p_eel": p[:, 2].round(6),
            "pred": CLASSES[p.argmax(axis=1)],
            "label": CLASSES[y],
            "id": np.arange(n),
        }
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        frame.drop(columns=["label"]).to_sql("predictions", connection, index=False)
        frame[["id", "label"]].to_sql("outcomes", connection, index=False)
    engine.dispose()
    return frame


def config(directory: Path, hook: str) -> Path:
    path = directory / "config.toml"
    path.write_text(f"""
[service]
store_url = "sqlite:///{directory / "store.db"}"
reports_dir = "{directory / "reports"}"

[sources.main]
url = "sqlite:///{directory / "source.db"}"

[[monitors]]
name = "animals"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["x"]
categorical_features = ["region"]
prediction_label_column = "pred"
prediction_columns = {{ cat = "p_cat", dog = "p_dog", eel = "p_eel" }}
labels = {{ table = "outcomes", key = "id", column = "label", delay = "30d" }}
task = "multiclass_classification"
every = "1h"
window = "1h"
reference = {{ start = "2026-11-20T00:00:00Z", end = "2026-11-21T00:00:00Z" }}
min_rows = 100

[[monitors.rules]]
name = "accuracy estimate off"
metric = "estimated.accuracy"
outside_reference = 3.0
severity = "critical"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook}"
""")
    return path


def stored(config_path: Path, at: str) -> dict[str, float]:
    out = drifthound("metrics", "-m", "animals", "-c", str(config_path), "--format", "json")
    assert out.returncode == 0, out.stderr
    return {r["metric"]: r["value"] for r in json.loads(out.stdout) if r["window_end"] == at and not r["column"]}


def test_a_multiclass_model_estimated_before_its_labels_come_and_measured_when_they_do(tmp_path, httpserver):
    hook = Receiver(httpserver, "/hook")
    frame = write_log(f"sqlite:///{tmp_path / 'source.db'}")
    path = config(tmp_path, hook.url)

    quiet = drifthound("check", "-c", str(path), "--at", "2026-11-21T10:00:00Z")
    assert quiet.returncode == 0, quiet.stderr + quiet.stdout
    before = stored(path, "2026-11-21T10:00:00Z")
    assert "accuracy" not in before, "labels are 30 days late: no realized figure yet"
    low, high = (
        before["estimated.accuracy.reference_mean"] - 3 * before["estimated.accuracy.reference_std"],
        before["estimated.accuracy.reference_mean"] + 3 * before["estimated.accuracy.reference_std"],
    )
    assert low <= before["estimated.accuracy"] <= high
    assert hook.requests == []

    shifted = drifthound("check", "-c", str(path), "--at", "2026-11-21T18:00:00Z")
    assert shifted.returncode == 0, shifted.stderr + shifted.stdout
    after = stored(path, "2026-11-21T18:00:00Z")
    assert after["estimated.accuracy"] < low, "the estimate fell out of the band"
    [request] = hook.requests
    [alert] = request["body"]["alerts"]
    assert alert["rule"] == "accuracy estimate off" and alert["metric"] == "estimated.accuracy"
    assert alert["status"] == "firing" and alert["value"] == pytest.approx(after["estimated.accuracy"])

    # What it really was, from the log's own labels: within the estimate's sampling error.
    window = frame[(frame["ts"] >= "2026-11-21 17:00") & (frame["ts"] < "2026-11-21 18:00")]
    truth = sk.accuracy_score(window["label"], window["pred"])
    assert abs(after["estimated.accuracy"] - truth) < 3 * after["estimated.accuracy.sampling_error"]

    report = json.loads((tmp_path / "reports" / "animals" / "20261121T180000Z.json").read_text())
    assert set(report["estimated"]["values"]) == {"roc_auc", "accuracy", "precision", "recall", "f1"}
    html = (tmp_path / "reports" / "animals" / "20261121T180000Z.html").read_text()
    assert "Model quality estimated without labels" in html and "outside the band" in html


def test_multiclass_realized_quality_through_check_equals_scikit_learn(tmp_path):
    frame = write_log(f"sqlite:///{tmp_path / 'source.db'}")
    path = config(tmp_path, "http://127.0.0.1:9/none")
    path.write_text(path.read_text().replace(', delay = "30d"', ""))
    result = drifthound("check", "-c", str(path), "--at", "2026-11-21T12:00:00Z")
    assert result.returncode == 0, result.stderr + result.stdout
    figures = stored(path, "2026-11-21T12:00:00Z")
    window = frame[(frame["ts"] >= "2026-11-21 11:00") & (frame["ts"] < "2026-11-21 12:00")]
    proba = window[["p_cat", "p_dog", "p_eel"]].to_numpy()
    proba = proba / proba.sum(axis=1, keepdims=True)
    assert figures["accuracy"] == pytest.approx(sk.accuracy_score(window["label"], window["pred"]), abs=1e-9)
    assert figures["f1"] == pytest.approx(sk.f1_score(window["label"], window["pred"], average="macro"), abs=1e-9)
    assert figures["roc_auc"] == pytest.approx(
        sk.roc_auc_score(window["label"], proba, multi_class="ovr", labels=list(CLASSES)), abs=1e-9
    )
    assert figures["labels.coverage"] == 1.0
    # Prediction drift is measured on the decided class.
    out = drifthound("metrics", "-m", "animals", "-c", str(path), "--metric", "prediction.drift.score")
    assert len(list(csv.DictReader(io.StringIO(out.stdout)))) == 1
