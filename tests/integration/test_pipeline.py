"""One run, end to end in-process: a real prediction log -> Evidently -> the store -> the report."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.config.schema import LabelsConfig
from monitor.runner import Runner
from monitor.store import Store
from monitor.store.history import figures, recent_runs
from monitor.store.models import MetricValue, Run
from monitor.windows import Window
from tests.helpers import T0, monitor_config, predictions, write_table

SHIFT = T0 + timedelta(hours=30)
DRIFTED = Window(T0 + timedelta(hours=40), T0 + timedelta(hours=41))
STABLE = Window(T0 + timedelta(hours=27), T0 + timedelta(hours=28))


def make_runner(config):
    store = Store(config.service.store_url)
    store.ensure_schema()
    return Runner(config, store, owner="test")


def values_of(result):
    return {(row.metric, row.column): row.value for row in result.metrics}


@pytest.fixture
def drifting_log(database_url):
    write_table(database_url, "predictions", predictions(400, hours=48, shift_from=SHIFT), timestamps="naive")
    return database_url


def evidently_modules() -> list[str]:
    return [m for m in sys.modules if m == "evidently" or m.startswith("evidently.")]


def without_evidently(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evidently unloaded (whatever an earlier test imported of it), to see whether a run imports it again."""
    for name in evidently_modules():
        monkeypatch.delitem(sys.modules, name)


def test_drift_is_detected_stored_and_reported(tmp_path, drifting_log, database_url, monkeypatch):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url)
    runner = make_runner(config)
    without_evidently(monkeypatch)  # a run and its report need none of it (its import alone takes seconds)
    result = runner.run(config.monitors[0], DRIFTED)
    assert result.status == "ok", result.reason
    assert evidently_modules() == [], "the run and its report imported Evidently"
    values = values_of(result)
    assert values[("drift.detected", "income")] == 1.0
    assert values[("drift.detected", "region")] == 1.0
    assert values[("drift.detected", "age")] == 0.0
    assert values[("drift.share", "")] == pytest.approx(2 / 3)
    assert values[("rows", "")] == pytest.approx(400, abs=60)
    assert 0 <= values[("accuracy", "")] <= 1 and 0 <= values[("roc_auc", "")] <= 1
    assert values[("labels.coverage", "")] == 1.0
    assert values[("monitor.failed_runs", "")] == 0.0
    assert ("out_of_range.share", "income") in values and ("new_categories.count", "region") in values

    with runner.store.session() as session:
        stored = {(f.metric, f.column): f.value for f in figures(session, "credit")}
        run = recent_runs(session, "credit")[0]
    assert stored == {key: value for key, value in values.items()}
    assert run.status == "ok" and run.window_end == DRIFTED.end and run.duration_seconds > 0

    html = tmp_path / "reports" / "credit" / "20261121T170000Z.html"
    assert run.report_path == "credit/20261121T170000Z.html" and html.exists()
    text = html.read_text()
    assert not re.search(r"<script[^>]+src=[\"']https?://", text), "the report must open with no network"
    scripts = re.findall(r'<script src="([^"]+)"', text)
    assert scripts and all((html.parent / src).is_file() for src in scripts), "the shared scripts, beside it"
    assert html.stat().st_size < 600_000, "Evidently's scripts are not inside the report"
    assert "credit" in text and "income" in text
    snapshot = json.loads(html.with_suffix(".json").read_text())
    assert {"drift", "data_quality", "quality"} <= set(snapshot)
    # The report shows the verdicts that were stored: the same count, the same scores, the same figures.
    verdicts = {d["column"]: d for d in snapshot["drift"]}
    assert sum(1 for d in verdicts.values() if d["detected"]) >= values[("drift.count", "")]
    assert verdicts["income"]["score"] == pytest.approx(values[("drift.score", "income")])
    assert verdicts["income"]["detected"] and values[("drift.detected", "income")] == 1.0
    shown = {(f["metric"], f["column"]): f["value"] for f in snapshot["data_quality"]}
    assert shown[("out_of_range.share", "income")] == values[("out_of_range.share", "income")]
    drifted = int(values[("drift.count", "")])
    features = sum(1 for d in snapshot["drift"] if d["column"] not in ("score", "label"))
    assert f"({drifted} out of {features})" in text
    assert "threshold calibrated on the reference" in text
    assert str(round(values[("drift.score", "income")], 6)) in text


def test_a_stable_window_has_no_drift(tmp_path, drifting_log, database_url):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url)
    result = make_runner(config).run(config.monitors[0], STABLE)
    assert result.status == "ok"
    assert values_of(result)[("drift.share", "")] == 0.0


def test_the_same_window_twice_duplicates_and_replaces_nothing(tmp_path, drifting_log, database_url):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url)
    runner = make_runner(config)
    first = runner.run(config.monitors[0], STABLE)
    second = runner.run(config.monitors[0], STABLE)
    assert (first.status, second.status) == ("ok", "done-before")
    assert "already evaluated (ok); use --force" in second.reason
    with runner.store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Run)) == 1
        count = session.scalar(sa.select(sa.func.count()).select_from(MetricValue))
    assert count == len(first.metrics)


def test_too_few_rows_is_skipped_with_the_reason(tmp_path, drifting_log, database_url):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url, min_rows=1000)
    result = make_runner(config).run(config.monitors[0], STABLE)
    assert result.status == "skipped"
    assert re.match(r"\d+ rows in the window, fewer than min_rows = 1000", result.reason)
    empty = make_runner(config).run(config.monitors[0], Window(T0 - timedelta(hours=5), T0 - timedelta(hours=4)))
    assert empty.status == "skipped" and empty.reason.startswith("0 rows in the window")


def test_a_reference_with_too_few_rows_is_skipped(tmp_path, drifting_log, database_url):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url, reference='{ last = "24h" }')
    result = make_runner(config).run(config.monitors[0], Window(T0, T0 + timedelta(hours=1)))
    assert result.status == "skipped"
    assert "0 rows in the reference (2026-11-19 00:00 – 2026-11-20 00:00 UTC)" in result.reason


def test_a_missing_column_fails_the_run_and_counts_consecutive_failures(tmp_path, drifting_log, database_url):
    config = monitor_config(
        tmp_path, drifting_log, store_url=database_url, features='numerical_features = ["age", "salary"]'
    )
    runner = make_runner(config)
    first = runner.run(config.monitors[0], STABLE)
    second = runner.run(config.monitors[0], Window(STABLE.end, STABLE.end + timedelta(hours=1)))
    assert first.status == "failed"
    assert first.reason.startswith('column "salary" (numerical_features) is not in table "predictions" (it has: ')
    assert "fix the monitor's config or the table" in first.reason
    assert "credit [2026-11-21T03:00:00Z .. 2026-11-21T04:00:00Z): failed" in first.describe()
    assert values_of(first)[("monitor.failed_runs", "")] == 1.0
    assert values_of(second)[("monitor.failed_runs", "")] == 2.0


def test_a_failed_window_is_retried_and_recovers(tmp_path, drifting_log, database_url):
    broken = monitor_config(tmp_path, drifting_log, store_url=database_url, features='numerical_features = ["x"]')
    assert make_runner(broken).run(broken.monitors[0], STABLE).status == "failed"
    fixed = monitor_config(tmp_path, drifting_log, store_url=database_url)
    result = make_runner(fixed).run(fixed.monitors[0], STABLE)
    assert result.status == "ok" and values_of(result)[("monitor.failed_runs", "")] == 0.0
    with make_runner(fixed).store.session() as session:
        assert recent_runs(session, "credit")[0].attempts == 2


def test_wrong_types_fail_naming_the_column(tmp_path, database_url):
    frame = predictions(300, hours=30)
    frame["income"] = frame["income"].astype(object)
    frame.loc[frame.index[-5:], "income"] = "n/a"
    write_table(database_url, "predictions", frame, timestamps="naive")
    config = monitor_config(tmp_path, database_url, store_url=database_url)
    result = make_runner(config).run(config.monitors[0], Window(T0 + timedelta(hours=29), T0 + timedelta(hours=30)))
    assert result.status == "failed"
    assert result.reason.startswith("column \"income\" (numerical_features) holds non-numeric values such as 'n/a'")


def test_awkward_data_is_handled(tmp_path):
    """NaN, inf, NULL, unseen categories, a single-valued column, unicode and spaced names."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    frame = predictions(300, hours=30).rename(columns={"age": "âge client", "region": "région"})
    frame["constant"] = 1.0
    rng = np.random.default_rng(3)
    frame.loc[rng.choice(len(frame), 200, replace=False), "income"] = np.nan
    frame.loc[rng.choice(len(frame), 50, replace=False), "âge client"] = np.inf
    frame.loc[frame.index[-100:], "région"] = "nouvelle"
    frame.loc[frame.index[-30:], "région"] = None
    write_table(url, "predictions", frame, timestamps="text")
    config = monitor_config(
        tmp_path,
        url,
        features='numerical_features = ["âge client", "income", "constant"]\ncategorical_features = ["région"]',
    )
    result = make_runner(config).run(config.monitors[0], Window(T0 + timedelta(hours=29), T0 + timedelta(hours=30)))
    assert result.status == "ok", result.reason
    values = values_of(result)
    assert values[("new_categories.count", "région")] == 1.0
    assert values[("missing.share", "région")] > 0
    assert ("drift.score", "âge client") in values and ("drift.score", "constant") in values


def test_features_are_inferred_when_not_listed(tmp_path, drifting_log, database_url):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url, features="")
    result = make_runner(config).run(config.monitors[0], DRIFTED)
    assert result.status == "ok"
    drifted = {column for (metric, column), value in values_of(result).items() if metric == "drift.score"}
    assert drifted == {"age", "income", "region"}


def test_sampling_is_recorded_on_the_run(tmp_path, drifting_log, database_url):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url, max_rows=200, min_rows=50)
    runner = make_runner(config)
    result = runner.run(config.monitors[0], DRIFTED)
    assert result.status == "ok" and values_of(result)[("rows", "")] == 200
    with runner.store.session() as session:
        run = recent_runs(session, "credit")[0]
    assert run.rows == 200 and run.rows_total > 200 and run.sample_seed is not None
    assert run.reference_rows == 200 and run.reference_rows_total > 5000


def test_late_labels_in_the_same_table_are_measured_on_the_labelled_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    frame = predictions(400, hours=30)
    last_hour = frame["ts"] >= T0 + timedelta(hours=29)
    frame["label"] = frame["label"].astype(float)
    frame.loc[last_hour & (np.arange(len(frame)) % 4 == 0), "label"] = np.nan
    write_table(url, "predictions", frame, timestamps="naive")
    config = monitor_config(tmp_path, url)
    result = make_runner(config).run(config.monitors[0], Window(T0 + timedelta(hours=29), T0 + timedelta(hours=30)))
    values = values_of(result)
    assert values[("labels.coverage", "")] == pytest.approx(0.75, abs=0.03)
    assert values[("accuracy", "")] is not None


def test_regression_quality(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    frame = predictions(300, hours=30)
    frame["label"] = frame["income"] / 1000
    frame["score"] = frame["label"] + np.random.default_rng(0).normal(0, 1, len(frame))
    write_table(url, "predictions", frame, timestamps="naive")
    config = monitor_config(tmp_path, url)
    config = config.model_copy(update={"monitors": (config.monitors[0].model_copy(update={"task": "regression"}),)})
    result = make_runner(config).run(config.monitors[0], Window(T0 + timedelta(hours=29), T0 + timedelta(hours=30)))
    values = values_of(result)
    assert result.status == "ok", result.reason
    assert values[("mae", "")] == pytest.approx(0.8, abs=0.2)  # E|N(0,1)| = 0.80
    assert values[("rmse", "")] == pytest.approx(1.0, abs=0.2)
    assert values[("r2", "")] > 0.9


def test_an_unwritable_reports_dir_still_stores_the_figures(tmp_path, drifting_log, database_url):
    config = monitor_config(tmp_path, drifting_log, store_url=database_url)
    (tmp_path / "reports").write_text("a file where the folder should be")
    runner = make_runner(config)
    result = runner.run(config.monitors[0], STABLE)
    assert result.status == "ok" and result.report_path is None
    with runner.store.session() as session:
        run = recent_runs(session, "credit")[0]
    assert run.report_error.startswith("cannot write the report under")
    assert values_of(result)[("drift.share", "")] == 0.0


def test_the_evidently_report_renders_with_pandas_2():
    """evidently 0.7 does not import with pandas 3: keep this pinned, and keep this test."""
    assert pd.__version__.startswith("2.")
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    frame = pd.DataFrame({"x": np.arange(200.0), "c": ["a", "b"] * 100})
    definition = DataDefinition(numerical_columns=["x"], categorical_columns=["c"])
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(frame, data_definition=definition), Dataset.from_pandas(frame, data_definition=definition)
    )
    assert snapshot.dict()["metrics"][0]["value"]["count"] == 0


def test_a_fixed_reference_and_a_reference_table(tmp_path, database_url):
    frame = predictions(300, hours=48, shift_from=SHIFT)
    write_table(database_url, "predictions", frame, timestamps="naive")
    early = frame[frame["ts"] < T0 + timedelta(hours=20)]
    write_table(database_url, "reference", early.drop(columns=["ts"]).assign(ts=early["ts"]), timestamps="naive")
    fixed = monitor_config(
        tmp_path,
        database_url,
        store_url=database_url,
        reference='{ start = "2026-11-20T00:00:00Z", end = "2026-11-20T20:00:00Z" }',
    )
    result = make_runner(fixed).run(fixed.monitors[0], DRIFTED)
    assert result.status == "ok" and values_of(result)[("reference_rows", "")] == len(early)
    assert values_of(result)[("drift.detected", "income")] == 1.0
    table = monitor_config(
        tmp_path, database_url, store_url=database_url, reference='{ table = "reference" }', name="credit-by-table"
    )
    result = make_runner(table).run(table.monitors[0], DRIFTED)
    assert result.status == "ok" and values_of(result)[("reference_rows", "")] == len(early)
    assert values_of(result)[("drift.detected", "income")] == 1.0


def test_a_rule_relative_to_the_reference_fires_on_a_quality_drop_only(tmp_path, database_url):
    from alerts.models import Alert

    frame = predictions(300, hours=48)
    broken = frame["ts"] >= T0 + timedelta(hours=40)
    rng = np.random.default_rng(8)
    frame.loc[broken, "label"] = rng.integers(0, 2, int(broken.sum()))  # the model is now a coin toss
    write_table(database_url, "predictions", frame, timestamps="naive")
    rule = '[[monitors.rules]]\nname = "accuracy off"\nmetric = "accuracy"\noutside_reference = 3.0\n'
    config = monitor_config(tmp_path, database_url, store_url=database_url, monitor_extra=rule)
    runner = make_runner(config)
    stable = runner.run(config.monitors[0], STABLE)
    values = values_of(stable)
    mean, std = values[("accuracy.reference_mean", "")], values[("accuracy.reference_std", "")]
    assert 0.6 < mean < 0.85 and 0 < std < 0.06 and abs(values[("accuracy", "")] - mean) <= 3 * std
    with runner.store.session() as session:
        assert session.scalars(sa.select(Alert.state).where(Alert.rule == "accuracy off")).one() == "inactive"
    dropped = runner.run(config.monitors[0], DRIFTED)
    assert values_of(dropped)[("accuracy", "")] < mean - 3 * std
    with runner.store.session() as session:
        alert = session.scalars(sa.select(Alert).where(Alert.rule == "accuracy off")).one()
    assert alert.state == "firing" and alert.op == "outside_reference"
    assert alert.threshold == pytest.approx(mean - 3 * std, rel=0.05), "the lower edge of the reference range"


def test_late_labels_are_joined_by_key_and_quality_comes_back_when_due(tmp_path, database_url):
    from monitor.store.runs import labels_due

    frame = predictions(300, hours=30).drop(columns=["label"]).assign(prediction_id=lambda f: range(len(f)))
    truth = predictions(300, hours=30)["label"]
    labelled = np.random.default_rng(2).random(len(frame)) < 0.8
    outcomes = pd.DataFrame({"prediction_id": frame["prediction_id"][labelled], "outcome": truth[labelled]})
    write_table(database_url, "predictions", frame, timestamps="naive")
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        outcomes.to_sql("outcomes", connection, index=False, if_exists="replace")
    engine.dispose()
    text_config = monitor_config(tmp_path, database_url, store_url=database_url)
    config = text_config.model_copy(
        update={
            "monitors": (
                text_config.monitors[0].model_copy(
                    update={
                        "target_column": None,
                        "labels": LabelsConfig(
                            table="outcomes", key="prediction_id", column="outcome", delay=timedelta(days=1)
                        ),
                    }
                ),
            )
        }
    )
    window = Window(T0 + timedelta(hours=29), T0 + timedelta(hours=30))
    store = Store(database_url)
    store.ensure_schema()
    early = Runner(config, store, owner="early", clock=lambda: window.end + timedelta(hours=1))
    first = early.run(config.monitors[0], window)
    assert first.status == "ok" and "model quality when the labels are due" in first.reason
    assert ("accuracy", "") not in values_of(first) and ("drift.share", "") in values_of(first)
    estimated = values_of(first)[("estimated.roc_auc", "")]
    assert estimated > 0.6 and values_of(first)[("estimated.roc_auc.sampling_error", "")] > 0
    with store.session() as session:
        assert labels_due(session, monitor="credit", now=window.end + timedelta(hours=2)) == []
        assert labels_due(session, monitor="credit", now=window.end + timedelta(days=1, minutes=1)) == [window]
    later = Runner(config, store, owner="later", clock=lambda: window.end + timedelta(days=1, minutes=1))
    second = later.run(config.monitors[0], window, force=True)
    values = values_of(second)
    assert second.status == "ok" and values[("labels.coverage", "")] == pytest.approx(0.8, abs=0.05)
    assert 0.5 < values[("accuracy", "")] < 1.0 and values[("roc_auc", "")] > 0.6
    assert values[("drift.share", "")] == values_of(first)[("drift.share", "")], "the same window, the same drift"
    # The estimate stays beside the realized figure, so users see how good it was.
    assert values[("estimated.roc_auc", "")] == pytest.approx(estimated)
    assert abs(values[("roc_auc", "")] - estimated) < 3 * values[("estimated.roc_auc.sampling_error", "")]
    with store.session() as session:
        run = recent_runs(session, "credit")[0]
        assert run.labels_at is not None and labels_due(session, monitor="credit", now=run.labels_at) == []
    store.dispose()


def test_a_reference_table_serves_a_rule_relative_to_the_reference(tmp_path, database_url):
    """The reference table's source was built without the timestamp column, then asked to cut it into windows:
    every run failed with "no timestamp_column to filter the window on"."""
    frame = predictions(300, hours=48)
    write_table(database_url, "predictions", frame, timestamps="naive")
    early = frame[frame["ts"] < T0 + timedelta(hours=24)]
    write_table(database_url, "reference", early, timestamps="naive")
    rule = '[[monitors.rules]]\nname = "accuracy off"\nmetric = "accuracy"\noutside_reference = 3.0\n'
    config = monitor_config(
        tmp_path, database_url, store_url=database_url, reference='{ table = "reference" }', monitor_extra=rule
    )
    result = make_runner(config).run(config.monitors[0], STABLE)
    assert result.status == "ok", result.reason
    values = values_of(result)
    assert 0.6 < values[("accuracy.reference_mean", "")] < 0.85 and values[("accuracy.reference_std", "")] > 0


def test_a_reference_table_without_timestamps_is_cut_by_each_window_s_row_count(tmp_path, database_url):
    """The cut reference's ranges were cached without the row count that sets the chunk size: a window of 300
    rows reused the chunks cut for a window of 100."""
    frame = predictions(300, hours=48)
    write_table(database_url, "predictions", frame, timestamps="naive")
    write_table(database_url, "reference", frame[frame["ts"] < T0 + timedelta(hours=24)], timestamps="naive")
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE reference DROP COLUMN ts"))
    engine.dispose()
    rule = '[[monitors.rules]]\nname = "busy"\nmetric = "rows"\noutside_reference = 3.0\n'
    config = monitor_config(
        tmp_path, database_url, store_url=database_url, reference='{ table = "reference" }', monitor_extra=rule
    )
    runner = make_runner(config)
    hour = runner.run(config.monitors[0], STABLE)
    three = runner.run(config.monitors[0], Window(STABLE.end, STABLE.end + timedelta(hours=3)))
    assert hour.status == three.status == "ok"
    # Chunks of about each window's own row count (a quarter-octave step below it).
    for result in (hour, three):
        values = values_of(result)
        assert values[("rows.reference_mean", "")] == pytest.approx(values[("rows", "")], rel=0.2)
    assert values_of(three)[("rows.reference_mean", "")] > 2 * values_of(hour)[("rows.reference_mean", "")]


def test_thresholds_do_not_depend_on_what_the_process_calibrated_before(tmp_path, drifting_log, database_url):
    """--force and late-label re-evaluations must give the run's verdicts again: one random generator shared
    across columns and window sizes made each threshold depend on the calibrations before it."""
    reference = '{ start = "2026-11-20T00:00:00Z", end = "2026-11-20T20:00:00Z" }'  # one profile for both windows
    config = monitor_config(tmp_path, drifting_log, store_url=database_url, reference=reference)
    fresh = make_runner(config).run(config.monitors[0], DRIFTED, force=True)
    busy = make_runner(config)
    busy.run(config.monitors[0], Window(STABLE.start, STABLE.start + timedelta(minutes=20)), force=True)
    again = busy.run(config.monitors[0], DRIFTED, force=True)
    thresholds = lambda result: {k: v for k, v in values_of(result).items() if k[0] == "drift.threshold"}  # noqa: E731
    assert thresholds(fresh) and thresholds(fresh) == thresholds(again)


def test_empty_windows_say_where_the_rows_are_and_fail_when_the_timestamps_cannot_be_right(tmp_path, database_url):
    frame = predictions(50, hours=8)
    write_table(database_url, "predictions", frame, timestamps="naive")
    config = monitor_config(tmp_path, database_url, store_url=database_url)
    after = make_runner(config).run(config.monitors[0], Window(T0 + timedelta(days=3), T0 + timedelta(days=3, hours=1)))
    assert after.status == "skipped"
    assert 'table "predictions" holds rows from 2026-11-20 00:' in after.reason
    future = frame.assign(ts=[t.replace(year=2150) for t in frame["ts"]])
    write_table(database_url, "predictions", future, timestamps="naive")
    config = monitor_config(tmp_path, database_url, store_url=database_url, name="credit-future")
    wrong = make_runner(config).run(config.monitors[0], STABLE)
    assert wrong.status == "failed"
    assert "no rows in the window although" in wrong.reason and "2150-11-20" in wrong.reason


def test_quality_uses_the_class_the_model_decided_and_the_score_where_a_score_is_due(tmp_path, database_url):
    """Real models do not cut at 0.5: accuracy, precision, recall and f1 use prediction_label_column, roc_auc
    and log_loss the score."""
    from sklearn import metrics as sk

    frame = predictions(300, hours=30)
    frame["decided"] = (frame["score"] > 0.7).astype(int)
    write_table(database_url, "predictions", frame, timestamps="naive")
    config = monitor_config(
        tmp_path, database_url, store_url=database_url, monitor_extra='prediction_label_column = "decided"'
    )
    result = make_runner(config).run(config.monitors[0], STABLE)
    assert result.status == "ok", result.reason
    values = values_of(result)
    window = frame[(frame["ts"] >= STABLE.start) & (frame["ts"] < STABLE.end)]
    assert values[("accuracy", "")] == pytest.approx(sk.accuracy_score(window["label"], window["decided"]), abs=1e-9)
    assert values[("recall", "")] == pytest.approx(sk.recall_score(window["label"], window["decided"]), abs=1e-9)
    assert values[("roc_auc", "")] == pytest.approx(sk.roc_auc_score(window["label"], window["score"]), abs=1e-9)
    assert values[("accuracy", "")] != pytest.approx(
        sk.accuracy_score(window["label"], window["score"] >= 0.5), abs=1e-3
    )
    assert ("estimated.accuracy", "") in values and ("estimated.accuracy.reference_mean", "") in values


def test_columns_that_stop_moving_together_raise_a_multivariate_alert_that_says_where_to_look(tmp_path, database_url):
    """age and income swap a correlation of 0.8 for -0.8 while each keeps its own distribution: no column
    drifts, the multivariate verdict does, and its alert names the two columns."""
    import json

    from alerts.models import OutboxMessage
    from monitor.commands.summary import summary_lines

    rng = np.random.default_rng(9)
    frame = predictions(300, hours=48)
    z = rng.normal(0, 1, len(frame))
    rho = np.where(frame["ts"] >= SHIFT, -0.8, 0.8)
    frame["age"] = 40 + 10 * z
    frame["income"] = np.exp(10 + 0.5 * (rho * z + np.sqrt(1 - rho**2) * rng.normal(0, 1, len(frame))))
    write_table(database_url, "predictions", frame, timestamps="naive")
    rule = (
        '[[monitors.rules]]\nname = "columns apart"\nmetric = "multivariate.drift.detected"\nabove = 0.5\n'
        'channels = ["log"]\n'
    )
    config = monitor_config(
        tmp_path, database_url, store_url=database_url, monitor_extra=rule, extra='[channels.log]\ntype = "log"'
    )
    runner = make_runner(config)
    stable = values_of(runner.run(config.monitors[0], STABLE))
    assert stable[("multivariate.drift.detected", "")] == 0.0
    result = runner.run(config.monitors[0], DRIFTED)
    values = values_of(result)
    assert values[("multivariate.drift.detected", "")] == 1.0
    assert values[("drift.detected", "age")] == 0.0 and values[("drift.detected", "income")] == 0.0
    assert values[("multivariate.reconstruction_error", "")] > values[("multivariate.drift.threshold", "")]
    assert "multivariate drift: detected" in "\n".join(summary_lines(result.metrics))
    html = (tmp_path / "reports" / result.report_path).read_text()
    assert "do the features still move together" in html
    assert "over recent windows, ending at this one" in html and "this window: drifted" in html, "the run's point"
    with runner.store.session() as session:
        [message] = session.scalars(sa.select(OutboxMessage)).all()
    [alert] = json.loads(message.payload)["alerts"]
    assert {c["column"] for c in alert["top_columns"][:2]} == {"age", "income"}
