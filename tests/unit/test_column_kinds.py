"""Inference of column kinds: each column of a sample gets one kind and the reason, identifiers and dates are
never judged, listed columns are taken as listed (an identifier among them is warned about)."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import pytest

from monitor.columns.inference import detect_kind, infer_roles, listed_readings
from monitor.columns.roles import configured_roles
from monitor.errors import ConfigError
from tests.helpers import monitor_config

ROWS = 300


def _words(rng: np.random.Generator, count: int) -> str:
    vocabulary = ["late", "delivery", "great", "price", "refund", "box", "broken", "thanks", "again", "never"]
    return " ".join(rng.choice(vocabulary, size=count))


def _log(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """The newcomer's log of issue 21, plus the special columns."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "ts": pd.date_range("2026-11-01", periods=rows, freq="min").strftime("%Y-%m-%d %H:%M:%S"),
            "request_id": [str(uuid.UUID(int=int(v))) for v in rng.integers(0, 2**63, rows)],
            "customer_id": 1000 + np.arange(rows) * 3,
            "comment": [_words(rng, int(n)) for n in rng.integers(3, 12, rows)],
            "embedding": [json.dumps(rng.normal(size=8).round(4).tolist()) for _ in range(rows)],
            "amount": rng.gamma(2.0, 30.0, rows).round(2),
            "country": rng.choice(["fr", "de", "es", "it"], rows),
            "hash": [f"{v:032x}" for v in rng.integers(0, 2**62, rows)],
            "opened": pd.date_range("2026-01-01", periods=rows, freq="D").date,
            "flag": rng.random(rows) < 0.5,
            "score": rng.random(rows),
            "label": rng.integers(0, 2, rows),
        }
    )


def _config(tmp_path, features: str = ""):
    return monitor_config(tmp_path, "sqlite://", features=features).monitors[0]


@pytest.mark.parametrize(
    ("column", "kind", "why"),
    [
        ("request_id", "identifier", "100 % unique in the sample (UUIDs)"),
        ("customer_id", "identifier", "100 % unique in the sample (increasing integers)"),
        ("hash", "identifier", "100 % unique in the sample (hashes)"),
        ("comment", "free text", "words on average"),
        ("embedding", "embedding", "vectors of 8 numbers"),
        ("amount", "numerical", "numbers"),
        ("country", "categorical", "4 distinct values"),
        ("flag", "categorical", "true/false"),
        ("opened", "timestamp or date", "dates"),
        ("ts", "timestamp or date", "dates and times written as text"),
    ],
)
def test_each_kind_is_detected_with_its_reason(column, kind, why):
    found, reason = detect_kind(_log()[column])
    assert found.name == kind
    assert why in reason


def test_vectors_as_lists_arrays_and_pgvector_text_are_embeddings():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(60, 4))
    for values in (
        [v.tolist() for v in vectors],
        list(vectors),
        ["[" + ",".join(f"{x:.3f}" for x in v) + "]" for v in vectors],
    ):
        assert detect_kind(pd.Series(values))[0].name == "embedding"
    ragged = pd.Series([[1.0, 2.0], [1.0, 2.0, 3.0]] * 30)
    assert detect_kind(ragged)[0].name == "unknown"


def test_what_is_not_an_identifier():
    rng = np.random.default_rng(2)
    # unique integers, neither ordered nor dense: a quantity (amounts in cents), not a key
    cents = pd.Series(rng.choice(10**9, size=ROWS, replace=False))
    assert detect_kind(cents)[0].name == "numerical"
    # a few unique codes: too few values to say the column is a key
    assert detect_kind(pd.Series([f"c{i}" for i in range(10)]))[0].name == "categorical"
    # unique floats: a measurement
    assert detect_kind(pd.Series(rng.normal(size=ROWS)))[0].name == "numerical"
    # repeated short sentences: categories, not free text
    repeated = pd.Series(["the parcel was late", "all good thanks", "refund please now"] * 100)
    assert detect_kind(repeated)[0].name == "categorical"


def test_inference_gives_every_column_a_role_and_judges_only_features(tmp_path):
    monitor = _config(tmp_path, features="")
    sample = _log()
    roles, readings = infer_roles(monitor, sample)
    assert roles.numerical == ("amount",)
    assert roles.categorical == ("country", "flag")
    assert roles.text == ("comment",)
    assert roles.embeddings == (("embedding", ("embedding",)),)
    assert set(roles.columns).isdisjoint({"request_id", "customer_id", "hash", "opened", "ts"})
    lines = {r.column: r.line for r in readings}
    assert list(lines) == list(sample.columns)
    assert lines["request_id"] == "request_id: identifier, 100 % unique in the sample (UUIDs), not judged"
    assert lines["ts"] == "ts: timestamp_column, named in the config, not judged"
    assert lines["score"] == "score: prediction_column, named in the config"
    assert lines["comment"].startswith("comment: free text, ")


def test_listed_columns_are_taken_as_listed_and_a_listed_identifier_is_warned_about(tmp_path):
    monitor = _config(
        tmp_path,
        features='numerical_features = ["customer_id", "amount"]\ntext_features = ["comment"]\n'
        'embedding_features = ["embedding"]',
    )
    roles = configured_roles(monitor)
    assert roles.numerical == ("customer_id", "amount") and roles.text == ("comment",)
    readings = {r.column: r for r in listed_readings(monitor, roles, _log())}
    assert readings["customer_id"].line == "customer_id: numerical, listed in numerical_features"
    assert "looks like an identifier" in (readings["customer_id"].warning or "")
    assert readings["amount"].warning is None and readings["embedding"].warning is None
    assert readings["request_id"].line == "request_id: not a feature, not listed, not judged"


def test_embedding_spread_over_columns(tmp_path):
    monitor = _config(tmp_path, features='embedding_features = { query = ["e0", "e1", "e2"] }')
    roles = configured_roles(monitor)
    assert roles.embeddings == (("query", ("e0", "e1", "e2")),)
    assert roles.columns[:3] == ("e0", "e1", "e2")
    assert roles.role_of("e1") == "embedding_features.query"


@pytest.mark.parametrize(
    ("features", "error"),
    [
        ('text_features = ["comment", "comment"]', "text_features lists 'comment' twice"),
        ('text_features = ["comment"]\ncategorical_features = ["comment"]', "listed as both categorical and text"),
        ('embedding_features = { q = ["e0"] }', "needs at least two columns"),
        ('embedding_features = { amount = ["e0", "e1"] }\nnumerical_features = ["amount"]', "also a listed column"),
        ('text_features = ["score"]', "'score' is the prediction_column"),
    ],
)
def test_text_and_embedding_lists_are_validated(tmp_path, features, error):
    with pytest.raises(ConfigError, match=error):
        _config(tmp_path, features=features)
