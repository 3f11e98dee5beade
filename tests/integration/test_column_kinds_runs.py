"""Text and embedding features in real runs (SQLite and PostgreSQL): judged as a whole, stored as drift.* rows
under the feature's name, counted once in drift.share, seen by no multivariate figure; identifiers get none."""

from __future__ import annotations

import json
import math
import uuid
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from monitor.runner import Runner
from monitor.store import Store
from monitor.windows import Window
from tests.helpers import T0, monitor_config, predictions
from tests.text_world import NEW_TOPIC_MIX, messages

SHIFT = T0 + timedelta(hours=30)
QUIET = Window(T0 + timedelta(hours=25), T0 + timedelta(hours=28))
DRIFTED = Window(T0 + timedelta(hours=40), T0 + timedelta(hours=43))
DIMS = 8
# The first day: a reference that ends before SHIFT, for the windows on either side of it
REFERENCE = f'{{ start = "{T0:%Y-%m-%dT%H:%M:%SZ}", end = "{T0 + timedelta(hours=24):%Y-%m-%dT%H:%M:%SZ}" }}'


def with_embeddings(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """From SHIFT, the embedding's latent moves along the diagonal: each dimension by less than a sixth of its
    std (what no column by itself shows clearly), the vector as a whole by 0.45 std."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(frame), DIMS))
    shifted = np.array([t >= SHIFT for t in frame["ts"]])
    vectors[shifted] += 0.16
    out = frame.copy()
    out.insert(1, "request_id", [str(uuid.UUID(int=int(v), version=4)) for v in rng.integers(0, 2**62, len(frame))])
    out["embedding"] = [v.round(6).tolist() for v in vectors]
    return out


def write(url: str, frame: pd.DataFrame) -> None:
    """SQLite: the vectors as JSON text; PostgreSQL: as double precision[]."""
    data = frame.copy()
    data["ts"] = [t.replace(tzinfo=None) for t in data["ts"]]
    engine = sa.create_engine(url)
    dtype = {}
    if "embedding" in data and engine.dialect.name == "postgresql":
        dtype = {"embedding": postgresql.ARRAY(sa.Float(precision=53))}
    elif "embedding" in data:
        data["embedding"] = [json.dumps(v) for v in data["embedding"]]
    with engine.begin() as connection:
        data.to_sql("predictions", connection, index=False, if_exists="replace", dtype=dtype)
    engine.dispose()


@pytest.fixture
def embedding_log(database_url):
    write(database_url, with_embeddings(predictions(150, hours=48)))
    return database_url


def run(config, window):
    store = Store(config.service.store_url)
    store.ensure_schema()
    result = Runner(config, store, owner="test").run(config.monitors[0], window)
    assert result.status == "ok", result.reason
    return {(row.metric, row.column): row for row in result.metrics}


LISTED = 'numerical_features = ["age", "income"]\ncategorical_features = ["region"]\nembedding_features = ["embedding"]'


@pytest.mark.parametrize("features", [LISTED, ""], ids=["listed", "inferred"])
def test_an_embedding_is_judged_as_a_whole_and_counted_once(tmp_path, embedding_log, features):
    config = monitor_config(
        tmp_path,
        embedding_log,
        features=features,
        window="3h",
        reference=REFERENCE,
        monitor_extra='multivariate_drift = "both"',
    )
    quiet = run(config, QUIET)
    drifted = run(config, DRIFTED)
    for figures in (quiet, drifted):
        assert "embedding" in (figures[("drift.score", "embedding")].method or "")
        assert not any(column == "request_id" for _, column in figures), "an identifier gets no figure"
        # multivariate drift sees the numerical and categorical features only, and its figures are numbers
        contributions = {column for metric, column in figures if metric == "multivariate.contribution"}
        assert contributions <= {"age", "income", "region"}
        assert all(
            math.isfinite(figures[(m, "")].value) for m in ("multivariate.drift.score", "multivariate.drift.threshold")
        )
    assert quiet[("drift.detected", "embedding")].value == 0.0
    assert quiet[("drift.share", "")].value == 0.0
    assert drifted[("drift.detected", "embedding")].value == 1.0
    assert drifted[("drift.detected", "age")].value == 0.0
    # age, income, region and the embedding: four features, the embedding one of them
    assert drifted[("drift.count", "")].value == 1.0
    assert drifted[("drift.share", "")].value == pytest.approx(1 / 4)
    page = (tmp_path / "reports" / "credit").glob("*.html")
    assert any("Embedding embedding: can a classifier tell" in p.read_text() for p in page)


def test_with_no_numerical_or_categorical_feature_multivariate_drift_says_why_and_segments_say_what_they_skip(
    tmp_path, embedding_log
):
    config = monitor_config(
        tmp_path,
        embedding_log,
        features='embedding_features = ["embedding"]',
        window="3h",
        monitor_extra='segments = ["region"]',
    )
    store = Store(config.service.store_url)
    store.ensure_schema()
    result = Runner(config, store, owner="test").run(config.monitors[0], QUIET)
    assert result.status == "ok", result.reason
    reason = result.reason or ""
    assert "multivariate drift needs at least two usable feature columns; usable: none" in reason
    assert "numerical and categorical features only" in reason
    assert "free text and embeddings are judged on the whole window, not per segment" in reason
    figures = {(row.metric, row.column, row.segment) for row in result.metrics}
    assert ("drift.detected", "embedding", "") in figures
    assert not any(metric.startswith("multivariate.") for metric, _, _ in figures)
    per_segment = [(m, c, s) for m, c, s in figures if m.startswith("drift.") and c == "embedding" and s]
    assert not per_segment, "not judged per segment"


@pytest.fixture
def text_log(database_url):
    """From SHIFT, a fifth topic takes a share of the comments, their lengths drawn as before."""
    frame = predictions(150, hours=48)
    rng = np.random.default_rng(5)
    shifted = np.array([t >= SHIFT for t in frame["ts"]])
    quiet, moved = messages(rng, int((~shifted).sum())), messages(rng, int(shifted.sum()), NEW_TOPIC_MIX)
    comments = np.empty(len(frame), dtype=object)
    comments[~shifted], comments[shifted] = quiet.to_numpy(), moved.to_numpy()
    frame.insert(1, "customer_id", 50_000 + np.arange(len(frame)))
    frame["comment"] = comments
    write(database_url, frame)
    return database_url


TEXT_LISTED = 'numerical_features = ["age", "income"]\ncategorical_features = ["region"]\ntext_features = ["comment"]'
DESCRIPTORS = ("comment:length", "comment:words", "comment:new_words", "comment:non_letters")


@pytest.mark.parametrize("features", [TEXT_LISTED, ""], ids=["listed", "inferred"])
def test_a_text_column_is_judged_by_content_and_descriptors_and_counted_once(tmp_path, text_log, features):
    config = monitor_config(tmp_path, text_log, features=features, window="3h", reference=REFERENCE)
    quiet = run(config, QUIET)
    drifted = run(config, DRIFTED)
    for figures in (quiet, drifted):
        assert "classifier" in (figures[("drift.score", "comment")].method or "")
        assert all(("drift.detected", d) in figures for d in DESCRIPTORS)
        assert not any(column == "customer_id" for _, column in figures), "an identifier gets no figure"
        assert not any(column.startswith("comment") for m, column in figures if m == "multivariate.contribution")
    assert not any(quiet[("drift.detected", c)].value for c in ("comment", *DESCRIPTORS))
    assert quiet[("drift.share", "")].value == 0.0
    assert drifted[("drift.detected", "comment")].value == 1.0, "the topic mix changed"
    assert drifted[("drift.detected", "income")].value == 0.0
    # age, income, region and the comment (with its descriptors, drifted or not): four features
    assert drifted[("drift.count", "")].value == 1.0
    assert drifted[("drift.share", "")].value == pytest.approx(1 / 4)
    pages = [p.read_text() for p in (tmp_path / "reports" / "credit").glob("*.html")]
    assert any("Text content drift: comment" in page and "most typical of each side" in page for page in pages)
    assert any(
        'Text \\"comment\\": descriptors of each text' in page or "descriptors of each text" in page for page in pages
    )


def test_an_embedding_spread_over_columns_is_judged_as_one_named_feature(tmp_path, database_url):
    frame = with_embeddings(predictions(150, hours=48))
    vectors = np.array(frame.pop("embedding").tolist())
    for d in range(DIMS):
        frame[f"e{d}"] = vectors[:, d]
    write(database_url, frame)
    dims = ", ".join(f'"e{d}"' for d in range(DIMS))
    config = monitor_config(
        tmp_path,
        database_url,
        features=f'numerical_features = ["age", "income"]\nembedding_features = {{ query = [{dims}] }}',
        window="3h",
        reference=REFERENCE,
    )
    drifted = run(config, DRIFTED)
    assert drifted[("drift.detected", "query")].value == 1.0
    dimensions = {f"e{d}" for d in range(DIMS)}
    assert not any(m.startswith(("drift.", "multivariate.")) and c in dimensions for m, c in drifted), "one feature"
    assert drifted[("drift.share", "")].value == pytest.approx(1 / 3)
