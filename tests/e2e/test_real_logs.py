"""The newcomer's log of issue 21, through the installed command: a stationary prediction log with the columns
real logs carry (a UUID, an increasing customer id, free text, an embedding as a JSON array) and no feature
lists. Nothing drifts, identifiers get no figure, every column's role is printed."""

from __future__ import annotations

import csv
import io
import json
import math
import time
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.e2e.cli import drifthound
from tests.e2e.test_browser import browser, errors_in, shoot  # noqa: F401 (browser: a fixture)
from tests.helpers import write_table
from tests.text_world import NEW_TOPIC_MIX, messages

pytestmark = pytest.mark.e2e

END = datetime(2026, 11, 3, tzinfo=UTC)
HOURS = 48
PER_HOUR = 60
WORDS = [
    "late",
    "delivery",
    "great",
    "price",
    "refund",
    "box",
    "broken",
    "thanks",
    "again",
    "never",
    "quick",
    "support",
    "order",
    "item",
]


def newcomers_log(seed: int = 7, drift_from: datetime | None = None) -> pd.DataFrame:
    """Stationary; or, from `drift_from`, a new topic in the comments and the embedding moved."""
    rng = np.random.default_rng(seed)
    rows = HOURS * PER_HOUR
    start = END - timedelta(hours=HOURS)
    ts = [start + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, HOURS * 3600, rows))]
    amount = rng.gamma(2.0, 40.0, rows).round(2)
    vectors = rng.normal(size=(rows, 8))
    comments = [" ".join(rng.choice(WORDS, size=int(n))) for n in rng.integers(3, 14, rows)]
    if drift_from is not None:
        moved = np.array([t >= drift_from for t in ts])
        vectors[moved] += 0.5
        comments = np.where(moved, messages(rng, rows, NEW_TOPIC_MIX).to_numpy(), messages(rng, rows).to_numpy())
    return pd.DataFrame(
        {
            "ts": ts,
            "request_id": [str(uuid.UUID(int=int(v), version=4)) for v in rng.integers(0, 2**62, rows)],
            "customer_id": 100_000 + np.arange(rows),
            "comment": comments,
            "embedding": [json.dumps(v.round(5).tolist()) for v in vectors],
            "amount": amount,
            "country": rng.choice(["fr", "de", "es", "it", "nl"], rows, p=[0.4, 0.25, 0.15, 0.1, 0.1]),
            "score": 1 / (1 + np.exp(-(amount - 80) / 40)),
        }
    )


def write_log(directory, frame: pd.DataFrame):
    url = f"sqlite:///{directory / 'log.db'}"
    write_table(url, "predictions", frame, timestamps="naive")
    config = directory / "config.toml"
    config.write_text(f"""
[service]
store_url = "sqlite:///{directory / "store.db"}"
reports_dir = "{directory / "reports"}"

[sources.main]
url = "{url}"

[[monitors]]
name = "newcomer"
source = "main"
table = "predictions"
timestamp_column = "ts"
prediction_column = "score"
every = "1h"
window = "6h"
reference = {{ last = "24h" }}
min_rows = 100

[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.3
""")
    return config


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory):
    return write_log(tmp_path_factory.mktemp("newcomer"), newcomers_log())


def test_config_check_prints_every_columns_role(newcomer):
    result = drifthound("config", "check", "-c", str(newcomer))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "1 numerical, 1 categorical, 1 text and 1 embedding features" in out
    assert "request_id: identifier, 100 % unique in the sample (UUIDs), not judged" in out
    assert "customer_id: identifier, 100 % unique in the sample (increasing integers), not judged" in out
    assert "ts: timestamp_column, named in the config, not judged" in out
    assert "comment: free text, " in out
    assert "embedding: embedding, vectors of 8 numbers" in out
    assert "amount: numerical, " in out and "country: categorical, 5 distinct values" in out
    assert "score: prediction_column" in out
    assert "WARN" not in out and "Traceback" not in result.stderr


def test_an_identifier_listed_as_a_feature_is_taken_as_listed_with_a_warning(newcomer, tmp_path):
    config = tmp_path / "config.toml"
    listed = 'numerical_features = ["customer_id", "amount"]\ntext_features = ["comment"]\nprediction_column'
    config.write_text(newcomer.read_text().replace("prediction_column", listed, 1))
    result = drifthound("config", "check", "-c", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "customer_id: numerical, listed in numerical_features" in result.stdout
    assert "request_id: not a feature, not listed, not judged" in result.stdout
    assert (
        'WARN  monitor "newcomer": "customer_id" is listed in numerical_features but looks like an identifier '
        "(100 % unique in the sample (increasing integers))" in result.stdout
    )


def test_a_stationary_log_flags_nothing_and_identifiers_get_no_figure(newcomer):
    at = (END - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    checked = drifthound("check", "-c", str(newcomer), "--at", at)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "drift: 0 of 4 columns" in checked.stdout, checked.stdout
    listed = drifthound("metrics", "-m", "newcomer", "-c", str(newcomer))
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    judged = {row["column"] for row in rows if row["metric"] == "drift.detected"}
    assert judged == {
        "amount",
        "country",
        "comment",
        "comment:length",
        "comment:words",
        "comment:new_words",
        "comment:non_letters",
        "embedding",
    }
    assert not [row for row in rows if row["metric"] == "drift.detected" and float(row["value"]) == 1.0]
    figures = {(row["metric"], row["column"]): row for row in rows}
    assert float(figures[("drift.share", "")]["value"]) == 0.0
    assert "classifier" in figures[("drift.score", "comment")]["method"]
    assert "embedding" in figures[("drift.score", "embedding")]["method"]
    assert not any(row["column"] in ("request_id", "customer_id") for row in rows)
    multivariate = [float(row["value"]) for row in rows if row["metric"].startswith("multivariate.drift.")]
    assert len(multivariate) == 3 and all(math.isfinite(v) for v in multivariate)
    assert float(figures[("multivariate.drift.detected", "")]["value"]) == 0.0
    score = float(figures[("multivariate.drift.score", "")]["value"])
    threshold = float(figures[("multivariate.drift.threshold", "")]["value"])
    assert 0 < score < threshold < 10 * score, "a reconstruction error and a threshold of the same size"


def test_the_report_shows_the_window_s_typical_words_and_the_projection_in_chromium(browser, tmp_path):  # noqa: F811
    config = write_log(tmp_path, newcomers_log(drift_from=END - timedelta(hours=12)))
    at = (END - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    checked = drifthound("check", "-c", str(config), "--at", at)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "comment" in checked.stdout and "embedding" in checked.stdout, checked.stdout
    [report] = (tmp_path / "reports" / "newcomer").glob("*.html")
    browser.get(report.as_uri())
    deadline = time.monotonic() + 60
    text = ""
    while time.monotonic() < deadline:
        text = browser.find_element("tag name", "body").text
        if "typical of the window" in text and browser.find_elements("css selector", ".js-plotly-plot"):
            break
        time.sleep(0.5)
    assert "Text content drift: comment" in text and "typical of the window" in text
    assert "warranty" in text.lower(), "the new topic's words are named"
    assert "reference's two main axes" in text, "the embedding's projection is drawn"
    shoot(browser, "report-text-embedding")
    assert errors_in(browser) == []
