"""The peer: NannyML 0.13's label-free quality estimates and multivariate drift, for DriftHound's to be
compared with, on the same data and the same chunks.

Runs ONLY in the peer's own venv (`make bench-peer` makes .venv-peer from bench/peer-requirements.txt).
NannyML is never a dependency of DriftHound, and this script imports nothing of DriftHound's: the two
sides meet in files (Parquet in, JSON out).

    .venv-peer/bin/python bench/peer_nannyml.py export   [--out bench/out/datasets]
    .venv-peer/bin/python bench/peer_nannyml.py estimate [--out bench/out/peer] [--datasets-out bench/out/datasets]
                                                         [--only NAME ...] [--jobs 1]
    .venv-peer/bin/python bench/peer_nannyml.py multivariate --reference ref.parquet --analysis cur.parquet \
        --chunk-size 5000 --columns a,b,c [--categorical d,e] [--methods reconstruction,classifier] \
        [--jobs 1] --out result.json
    .venv-peer/bin/python bench/peer_nannyml.py check    # what `make bench-peer` runs: every calculator, small

export
    Each dataset NannyML 0.13 ships (nannyml.datasets; nothing is downloaded) goes to
    <out>/<name>/reference.parquet and analysis.parquet, the analysis with its targets joined on the id
    column (the row order is NannyML's), and <out>/<name>/meta.json: loader, task, row counts, columns and
    dtypes, and the roles (id, timestamp, y_true, y_pred, y_pred_proba, features, categorical_features,
    chunk_size). Timestamps are parsed and marked UTC (the shipped files carry no zone). <name> is the
    loader's name without "load_" and "_dataset"/"_data".

estimate
    Exports (unless --skip-export), then for each dataset with model outputs: CBPE (binary, multiclass;
    isotonic calibration, NannyML's default) or DLE (regression; LightGBM with default hyperparameters),
    fitted on the reference and run on the analysis with its targets, chunked by --chunk-size rows in file
    order (no timestamp is given to NannyML: with one it re-sorts the rows, with an unstable sort).
    Writes <out>/<name>.json:

    {"peer": {"nannyml": "0.13.0", "pandas": ..., ...},        # versions, python included
     "dataset": name, "loader": ..., "task": "binary_classification" | "multiclass_classification" | "regression",
     "method": "CBPE" | "DLE", "chunk_size": 5000, "reference_rows": ..., "analysis_rows": ...,
     "metrics": ["roc_auc", "accuracy", "f1"],                  # or ["mae", "rmse", "mape"]
     "seconds": {"fit": ..., "estimate": ...},
     "chunks": [{"period": "reference" | "analysis", "index": 0, "key": "[0:4999]",
                 "start_row": 0, "stop_row": 5000, "rows": 5000,   # rows [start_row, stop_row) of that period's file
                 "start_time": ISO | null, "end_time": ISO | null,
                 "metrics": {"roc_auc": {"estimated": ..., "realized": ..., "sampling_error": ...,
                                         "lower_confidence_boundary": ..., "upper_confidence_boundary": ...,
                                         "lower_threshold": ... | null, "upper_threshold": ... | null,
                                         "alert": bool}}}, ...],
     "summary": {"roc_auc": {"chunks": n, "mean_abs_error": ..., "max_abs_error": ...,
                             "mean_sampling_error": ..., "within_3_sampling_errors": share,
                             "alerts": k, "realized_alerts": k, "alerts_agree": k}}}

    Definitions (NannyML's unless said):
    - estimated: CBPE's or DLE's estimate for the chunk. realized: the metric on the chunk's targets,
      computed by NannyML with scikit-learn on the model's own outputs: roc_auc on y_pred_proba
      (multiclass: one-vs-rest, macro), accuracy and f1 on y_pred (multiclass f1: macro); mae, rmse, mape
      on y_pred. `check` holds these to scikit-learn's own functions.
    - sampling_error: NannyML's estimate of the metric's standard error at the chunk's size, from the
      reference; the confidence boundaries are estimated +- 3 sampling errors (clipped to the metric's range).
    - thresholds: mean +- 3 standard deviations of the REALIZED metric over the reference chunks
      (StandardDeviationThreshold); alert: the ESTIMATED value outside them.
    - reference chunks are in-sample (the calibrator or the loss model was fitted on them); only analysis
      chunks enter the summary.
    - summary (ours, analysis chunks with both values): mean_abs_error = mean over chunks of
      |estimated - realized|; within_3_sampling_errors = share of chunks with |estimated - realized| <= 3 x
      sampling_error; realized_alerts = chunks whose realized value is outside the thresholds;
      alerts_agree = chunks where alert == realized alert.

multivariate
    DataReconstructionDriftCalculator (PCA keeping 65 % of the variance, NannyML's default) and/or
    DomainClassifierCalculator (LightGBM, 5-fold cross-validated AUROC of reference against chunk) on a
    reference and an analysis file (Parquet, or CSV by suffix), chunked by --chunk-size rows in file order.
    --columns are cast to float and --categorical to strings (NannyML tells categorical columns by dtype);
    the features are both lists. Writes --out:

    {"peer": {...}, "reference": path, "analysis": path, "reference_rows": ..., "analysis_rows": ...,
     "chunk_size": 5000, "columns": [...], "categorical": [...],
     "methods": {
       "reconstruction": {"calculator": "DataReconstructionDriftCalculator", "score": "reconstruction_error",
                          "lower_threshold": ... | null, "upper_threshold": ... | null, "seconds": ...,
                          "chunks": [{"period", "index", "key", "start_row", "stop_row", "rows",
                                      "value", "sampling_error", "lower_threshold", "upper_threshold",
                                      "alert"}, ...]},
       "classifier": {"calculator": "DomainClassifierCalculator", "score": "domain_classifier_auroc",
                      ... the same, "sampling_error": null}}}

    Thresholds: reconstruction error, mean +- 3 std of the reference chunks' errors (the reference's own
    errors are in-sample: the PCA was fitted on it); classifier AUROC, the constants 0.45 and 0.65. Alert:
    the chunk's value outside them. The classifier's cost: for every chunk (reference chunks too) 5
    LightGBM fits on the whole reference plus the chunk.

table
    Issue 23's peer run (bench/million.py): the reference day and the current day of a SQLite log (table
    `predictions`, text timestamps, bench/million.py's days) read with pandas.read_sql, then
    UnivariateDriftCalculator (its default methods) on --numerical, --categorical and the score, CBPE (binary:
    roc_auc, accuracy, f1 from `score`, `approved`, `label`) and DataReconstructionDriftCalculator on the
    features, one chunk per day. Writes --out: {"peer": {...}, "rows": {...}, "seconds": {step: s}}.

--jobs sets LightGBM's threads (DLE, domain classifier; NannyML's default is every core). It changes the
time taken, not the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

# NannyML reports usage to a remote service unless this is set; this machine has no network, and a bench
# has no business phoning home anyway. Set before nannyml is imported.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import numpy as np
import pandas as pd

try:
    import nannyml as nml
    from nannyml.drift.multivariate.domain_classifier.calculator import DEFAULT_LGBM_HYPERPARAMS
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("bench/peer_nannyml.py runs in the peer's venv: make bench-peer, then .venv-peer/bin/python ...")

warnings.filterwarnings("ignore")
logging.getLogger("nannyml").setLevel(logging.ERROR)

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
CLASSIFICATION_METRICS = ["roc_auc", "accuracy", "f1"]
REGRESSION_METRICS = ["mae", "rmse", "mape"]


@dataclass(frozen=True)
class Dataset:
    """A bundled dataset and the roles of its columns (read off the loaders and NannyML's docs)."""

    name: str
    loader: str
    task: str | None  # None: no model outputs, exported only
    id: str
    y_true: str
    features: list[str]
    categorical: list[str]
    chunk_size: int
    y_pred: str | None = None
    y_pred_proba: str | dict[str, str] | None = None
    timestamp: str | None = "timestamp"
    estimate: bool = True
    note: str = ""


CAR_LOAN_FEATURES = [
    "car_value",
    "salary_range",
    "debt_to_income_ratio",
    "loan_length",
    "repaid_loan_on_prev_car",
    "size_of_downpayment",
    "driver_tenure",
]
CENSUS_CATEGORICAL = [
    "SCHL",
    "MAR",
    "RELP",
    "DIS",
    "ESP",
    "CIT",
    "MIG",
    "MIL",
    "ANC",
    "NATIVITY",
    "DEAR",
    "DEYE",
    "DREM",
    "SEX",
    "RAC1P",
]
MULTICLASS = ["prepaid_card", "highstreet_card", "upmarket_card"]

DATASETS = [
    Dataset(
        name="synthetic_car_loan",
        loader="load_synthetic_car_loan_dataset",
        task="binary_classification",
        id="id",
        y_true="repaid",
        y_pred="y_pred",
        y_pred_proba="y_pred_proba",
        features=CAR_LOAN_FEATURES,
        categorical=["salary_range", "repaid_loan_on_prev_car", "size_of_downpayment"],
        chunk_size=5000,
        note="NannyML's main tutorial set (chunk_size=5000 throughout its docs)",
    ),
    Dataset(
        name="synthetic_car_loan_data_quality",
        loader="load_synthetic_car_loan_data_quality_dataset",
        task="binary_classification",
        id="id",
        y_true="repaid",
        y_pred="y_pred",
        y_pred_proba="y_pred_proba",
        features=CAR_LOAN_FEATURES,
        categorical=["salary_range", "repaid_loan_on_prev_car", "size_of_downpayment"],
        chunk_size=5000,
        estimate=False,
        note="synthetic_car_loan with missing salary_range and driver_tenure (5,000 reference and 8,000 "
        "analysis rows); its model outputs and targets are identical, so CBPE's figures would be too",
    ),
    Dataset(
        name="synthetic_binary_classification",
        loader="load_synthetic_binary_classification_dataset",
        task="binary_classification",
        id="id",
        y_true="work_home_actual",
        y_pred="y_pred",
        y_pred_proba="y_pred_proba",
        features=[
            "distance_from_office",
            "salary_range",
            "gas_price_per_litre",
            "public_transportation_cost",
            "wfh_prev_workday",
            "workday",
            "tenure",
        ],
        categorical=["salary_range", "wfh_prev_workday", "workday"],
        chunk_size=5000,
        note="'work from home' (NannyML's older tutorials, chunk_size=5000)",
    ),
    Dataset(
        name="synthetic_multiclass_classification",
        loader="load_synthetic_multiclass_classification_dataset",
        task="multiclass_classification",
        id="id",
        y_true="y_true",
        y_pred="y_pred",
        y_pred_proba={c: f"y_pred_proba_{c}" for c in MULTICLASS},
        features=[
            "acq_channel",
            "app_behavioral_score",
            "requested_credit_limit",
            "app_channel",
            "credit_bureau_score",
            "stated_income",
            "is_customer",
        ],
        categorical=["acq_channel", "app_channel", "is_customer"],
        chunk_size=6000,
        note="credit card product (NannyML's multiclass tutorials, chunk_size=6000)",
    ),
    Dataset(
        name="synthetic_car_price",
        loader="load_synthetic_car_price_dataset",
        task="regression",
        id="id",
        y_true="y_true",
        y_pred="y_pred",
        features=["car_age", "km_driven", "price_new", "accident_count", "door_count", "fuel", "transmission"],
        categorical=["fuel", "transmission"],
        chunk_size=6000,
        note="used car price (NannyML's regression tutorials, chunk_size=6000)",
    ),
    Dataset(
        name="us_census_ma_employment",
        loader="load_us_census_ma_employment_data",
        task="binary_classification",
        id="id",
        y_true="employed",
        y_pred="prediction",
        y_pred_proba="predicted_probability",
        features=["AGEP", *CENSUS_CATEGORICAL],
        categorical=CENSUS_CATEGORICAL,
        chunk_size=5000,
        timestamp=None,
        note="real data: US census (folktables), Massachusetts; reference 2015, analysis 2016-2018 (column "
        "year; no timestamp); NannyML's quickstart, chunk_size=5000",
    ),
    Dataset(
        name="modified_california_housing",
        loader="load_modified_california_housing_dataset",
        task="binary_classification",
        id="id",
        y_true="clf_target",
        y_pred="y_pred",
        y_pred_proba="y_pred_proba",
        features=["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup", "Latitude", "Longitude"],
        categorical=[],
        chunk_size=729,
        note="real features, made a binary task over time (one row an hour); NannyML's example chunks it by "
        "month: 729 rows are about 30 days and cut the reference in 8 equal chunks; probabilities are rounded "
        "to 2 decimals and y_pred is y_pred_proba >= 0.8",
    ),
    Dataset(
        name="titanic",
        loader="load_titanic_dataset",
        task=None,
        id="PassengerId",
        y_true="Survived",
        features=["Pclass", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked"],
        categorical=["Pclass", "Sex", "Embarked"],
        chunk_size=100,
        timestamp=None,
        note="no model outputs (features and target only): exported, not estimated",
    ),
]
BY_NAME = {d.name: d for d in DATASETS}


# --- helpers ------------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    from importlib.metadata import version

    found = {"python": platform.python_version()}
    for package in ("nannyml", "pandas", "numpy", "scipy", "scikit-learn", "lightgbm", "statsmodels"):
        found[package] = version(package)
    return found


def plain(value):
    """JSON-ready: numpy scalars to Python, NaN/NaT/None to null, times to ISO 8601."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    return value


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    print(f"wrote {path}", flush=True)


def load(spec: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, analysis with its targets joined), timestamps parsed as UTC, NannyML's row order."""
    reference, analysis, targets = getattr(nml.datasets, spec.loader)()
    analysis = analysis.merge(targets, on=spec.id, how="left", validate="one_to_one", sort=False)
    if analysis[spec.y_true].isna().any():
        raise SystemExit(f"{spec.name}: {analysis[spec.y_true].isna().sum()} analysis rows have no target")
    for frame in (reference, analysis):
        if spec.timestamp:
            frame[spec.timestamp] = pd.to_datetime(frame[spec.timestamp]).dt.tz_localize("UTC")
    return reference, analysis


def export(spec: Dataset, reference: pd.DataFrame, analysis: pd.DataFrame, out: Path) -> None:
    folder = out / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    reference.to_parquet(folder / "reference.parquet", index=False)
    analysis.to_parquet(folder / "analysis.parquet", index=False)
    meta = {
        "name": spec.name,
        "loader": f"nannyml.datasets.{spec.loader}",
        "task": spec.task,
        "rows": {"reference": len(reference), "analysis": len(analysis)},
        "columns": {c: str(t) for c, t in analysis.dtypes.items()},
        "id": spec.id,
        "timestamp": spec.timestamp,
        "y_true": spec.y_true,
        "y_pred": spec.y_pred,
        "y_pred_proba": spec.y_pred_proba,
        "features": spec.features,
        "categorical_features": spec.categorical,
        "chunk_size": spec.chunk_size,
        "estimated_by_peer": bool(spec.task and spec.estimate),
        "note": spec.note,
    }
    if isinstance(spec.y_pred_proba, dict):
        meta["classes"] = list(spec.y_pred_proba)
    write_json(folder / "meta.json", meta)


def chunk_records(
    result: pd.DataFrame, frames: dict[str, pd.DataFrame], timestamp: str | None
) -> list[dict[str, object]]:
    """The chunk columns of a NannyML result frame (to_df()) as plain records, with row ranges and times."""
    records = []
    for _, row in result.iterrows():
        period = row[("chunk", "period")]
        start, end = int(row[("chunk", "start_index")]), int(row[("chunk", "end_index")])
        record: dict[str, object] = {
            "period": period,
            "index": int(row[("chunk", "chunk_index")]),
            "key": row[("chunk", "key")],
            "start_row": start,
            "stop_row": end + 1,
            "rows": end + 1 - start,
        }
        if timestamp:
            times = frames[period][timestamp].iloc[start : end + 1]
            record["start_time"], record["end_time"] = plain(times.min()), plain(times.max())
        else:
            record["start_time"] = record["end_time"] = None
        records.append(record)
    return records


# --- estimate -----------------------------------------------------------------------------------------


def estimator(spec: Dataset, jobs: int):
    if spec.task == "regression":
        return nml.DLE(
            feature_column_names=spec.features,
            y_pred=spec.y_pred,
            y_true=spec.y_true,
            metrics=REGRESSION_METRICS,
            chunk_size=spec.chunk_size,
            # LGBMRegressor's defaults, as NannyML's default None gives, with the thread count set.
            hyperparameters={"n_jobs": jobs},
        )
    return nml.CBPE(
        problem_type="classification_binary" if spec.task == "binary_classification" else "classification_multiclass",
        y_pred_proba=spec.y_pred_proba,
        y_pred=spec.y_pred,
        y_true=spec.y_true,
        metrics=CLASSIFICATION_METRICS,
        chunk_size=spec.chunk_size,
    )


def summarise(chunks: list[dict], metrics: list[str]) -> dict[str, dict[str, float | int | None]]:
    summary = {}
    for metric in metrics:
        rows = [
            c["metrics"][metric]
            for c in chunks
            if c["period"] == "analysis"
            and c["metrics"][metric]["estimated"] is not None
            and c["metrics"][metric]["realized"] is not None
        ]
        errors = np.array([abs(r["estimated"] - r["realized"]) for r in rows])
        sampling = np.array([r["sampling_error"] for r in rows], dtype=float)
        realized_alerts = [
            (r["lower_threshold"] is not None and r["realized"] < r["lower_threshold"])
            or (r["upper_threshold"] is not None and r["realized"] > r["upper_threshold"])
            for r in rows
        ]
        summary[metric] = {
            "chunks": len(rows),
            "mean_abs_error": plain(errors.mean()) if len(rows) else None,
            "max_abs_error": plain(errors.max()) if len(rows) else None,
            "mean_sampling_error": plain(np.nanmean(sampling)) if len(rows) else None,
            "within_3_sampling_errors": plain((errors <= 3 * sampling).mean()) if len(rows) else None,
            "alerts": sum(bool(r["alert"]) for r in rows),
            "realized_alerts": sum(realized_alerts),
            "alerts_agree": sum(bool(r["alert"]) == a for r, a in zip(rows, realized_alerts, strict=True)),
        }
    return summary


def estimate_one(spec: Dataset, reference: pd.DataFrame, analysis: pd.DataFrame, jobs: int) -> dict:
    metrics = REGRESSION_METRICS if spec.task == "regression" else CLASSIFICATION_METRICS
    peer = estimator(spec, jobs)
    started = time.perf_counter()
    peer.fit(reference.copy())
    fitted = time.perf_counter()
    result = peer.estimate(analysis.copy()).to_df()
    estimated = time.perf_counter()
    chunks = chunk_records(result, {"reference": reference, "analysis": analysis}, spec.timestamp)
    for chunk, (_, row) in zip(chunks, result.iterrows(), strict=True):
        chunk["metrics"] = {
            metric: {
                "estimated": plain(row[(metric, "value")]),
                "realized": plain(row[(metric, "realized")]),
                "sampling_error": plain(row[(metric, "sampling_error")]),
                "lower_confidence_boundary": plain(row[(metric, "lower_confidence_boundary")]),
                "upper_confidence_boundary": plain(row[(metric, "upper_confidence_boundary")]),
                "lower_threshold": plain(row[(metric, "lower_threshold")]),
                "upper_threshold": plain(row[(metric, "upper_threshold")]),
                "alert": plain(row[(metric, "alert")]),
            }
            for metric in metrics
        }
    return {
        "peer": versions(),
        "dataset": spec.name,
        "loader": f"nannyml.datasets.{spec.loader}",
        "task": spec.task,
        "method": "DLE" if spec.task == "regression" else "CBPE",
        "chunk_size": spec.chunk_size,
        "reference_rows": len(reference),
        "analysis_rows": len(analysis),
        "metrics": metrics,
        "seconds": {"fit": round(fitted - started, 2), "estimate": round(estimated - fitted, 2)},
        "chunks": chunks,
        "summary": summarise(chunks, metrics),
    }


# --- multivariate -------------------------------------------------------------------------------------


def read_frame(path: str) -> pd.DataFrame:
    return pd.read_csv(path) if path.endswith((".csv", ".csv.gz")) else pd.read_parquet(path)


def as_strings(column: pd.Series) -> pd.Series:
    """Categorical for NannyML (object dtype), missing values kept missing."""
    values = column.astype(object)
    return values.map(str).where(values.notna(), np.nan)


def prepare(frame: pd.DataFrame, columns: list[str], categorical: list[str]) -> pd.DataFrame:
    missing = [c for c in columns + categorical if c not in frame.columns]
    if missing:
        raise SystemExit(f"columns not in the file: {', '.join(missing)}")
    prepared = pd.DataFrame(index=frame.index)
    for column in columns:
        prepared[column] = pd.to_numeric(frame[column], errors="raise").astype(float)
    for column in categorical:
        prepared[column] = as_strings(frame[column])
    return prepared.reset_index(drop=True)


def multivariate_records(result: pd.DataFrame, score: str, frames: dict[str, pd.DataFrame]) -> list[dict]:
    chunks = chunk_records(result, frames, None)
    for chunk, (_, row) in zip(chunks, result.iterrows(), strict=True):
        del chunk["start_time"], chunk["end_time"]
        chunk["value"] = plain(row[(score, "value")])
        chunk["sampling_error"] = plain(row[(score, "sampling_error")]) if (score, "sampling_error") in row else None
        chunk["lower_threshold"] = plain(row[(score, "lower_threshold")])
        chunk["upper_threshold"] = plain(row[(score, "upper_threshold")])
        chunk["alert"] = plain(row[(score, "alert")])
    return chunks


def multivariate(
    reference: pd.DataFrame,
    analysis: pd.DataFrame,
    columns: list[str],
    categorical: list[str],
    chunk_size: int,
    methods: list[str],
    jobs: int,
) -> dict[str, dict]:
    features = columns + categorical
    frames = {"reference": reference, "analysis": analysis}
    found = {}
    for method in methods:
        started = time.perf_counter()
        if method == "reconstruction":
            calculator = nml.DataReconstructionDriftCalculator(column_names=features, chunk_size=chunk_size)
            name, score = "DataReconstructionDriftCalculator", "reconstruction_error"
        elif method == "classifier":
            calculator = nml.DomainClassifierCalculator(
                feature_column_names=features,
                treat_as_categorical=categorical or None,
                chunk_size=chunk_size,
                hyperparameters={**DEFAULT_LGBM_HYPERPARAMS, "n_jobs": jobs},
            )
            name, score = "DomainClassifierCalculator", "domain_classifier_auroc"
        else:
            raise SystemExit(f"unknown method {method!r}: reconstruction or classifier")
        calculator.fit(reference.copy())
        result = calculator.calculate(analysis.copy()).to_df()
        chunks = multivariate_records(result, score, frames)
        found[method] = {
            "calculator": name,
            "score": score,
            "lower_threshold": chunks[0]["lower_threshold"],
            "upper_threshold": chunks[0]["upper_threshold"],
            "seconds": round(time.perf_counter() - started, 2),
            "chunks": chunks,
        }
    return found


# --- table (bench/million.py) --------------------------------------------------------------------------


def table(path: Path, numerical: list[str], categorical: list[str]) -> dict:
    """Issue 23's subset on the two days of a SQLite log, each step timed."""
    import sqlite3

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    columns = ", ".join(["ts", *numerical, *categorical, "score", "approved", "label"])
    days = {}
    with sqlite3.connect(path) as connection:
        for period, (start, end) in {
            "reference": ("2026-11-01", "2026-11-02"),
            "analysis": ("2026-11-02", "2026-11-03"),
        }.items():
            statement = f"SELECT {columns} FROM predictions WHERE ts >= ? AND ts < ?"  # noqa: S608
            days[period] = pd.read_sql(statement, connection, params=(start, end))
    reference, analysis = days["reference"], days["analysis"]
    for frame in (reference, analysis):
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601")
    seconds["read"] = time.perf_counter() - started
    features = numerical + categorical
    chunk = {"chunk_number": 1}
    steps = {
        "univariate": nml.UnivariateDriftCalculator(
            column_names=[*features, "score"], treat_as_categorical=categorical, timestamp_column_name="ts", **chunk
        ),
        "cbpe": nml.CBPE(
            problem_type="classification_binary",
            y_pred_proba="score",
            y_pred="approved",
            y_true="label",
            metrics=CLASSIFICATION_METRICS,
            timestamp_column_name="ts",
            **chunk,
        ),
        "reconstruction": nml.DataReconstructionDriftCalculator(
            column_names=features, timestamp_column_name="ts", **chunk
        ),
    }
    for name, calculator in steps.items():
        started = time.perf_counter()
        calculator.fit(reference)
        calculator.estimate(analysis) if name == "cbpe" else calculator.calculate(analysis)
        seconds[name] = time.perf_counter() - started
    return {
        "peer": versions(),
        "rows": {"reference": len(reference), "analysis": len(analysis)},
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


# --- check --------------------------------------------------------------------------------------------


def check(jobs: int) -> None:
    """Every calculator on small slices, and NannyML's realized metrics against scikit-learn's own."""
    from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, roc_auc_score

    def close(a: float, b: float, what: str) -> None:
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            raise SystemExit(f"check failed: {what}: NannyML {a} against scikit-learn {b}")

    def first_analysis(report: dict, metric: str) -> tuple[dict, dict]:
        chunk = next(c for c in report["chunks"] if c["period"] == "analysis")
        return chunk, chunk["metrics"][metric]

    started = time.perf_counter()
    spec = BY_NAME["synthetic_car_loan"]
    reference, analysis = load(spec)
    small = replace(spec, chunk_size=2000)
    report = estimate_one(small, reference.iloc[:10_000], analysis.iloc[:10_000], jobs)
    chunk, auc = first_analysis(report, "roc_auc")
    rows = analysis.iloc[chunk["start_row"] : chunk["stop_row"]]
    close(auc["realized"], roc_auc_score(rows["repaid"], rows["y_pred_proba"]), "binary roc_auc")
    close(first_analysis(report, "accuracy")[1]["realized"], accuracy_score(rows["repaid"], rows["y_pred"]), "accuracy")
    close(first_analysis(report, "f1")[1]["realized"], f1_score(rows["repaid"], rows["y_pred"]), "binary f1")

    spec = BY_NAME["synthetic_multiclass_classification"]
    reference, analysis = load(spec)
    small = replace(spec, chunk_size=2000)
    report = estimate_one(small, reference.iloc[:12_000], analysis.iloc[:12_000], jobs)
    chunk, auc = first_analysis(report, "roc_auc")
    rows = analysis.iloc[chunk["start_row"] : chunk["stop_row"]]
    classes = sorted(MULTICLASS)  # scikit-learn wants the labels, and the probability columns, sorted
    probas = rows[[spec.y_pred_proba[c] for c in classes]].to_numpy()
    close(auc["realized"], roc_auc_score(rows["y_true"], probas, multi_class="ovr", labels=classes), "mc roc_auc")
    f1 = f1_score(rows["y_true"], rows["y_pred"], average="macro", labels=classes)
    close(first_analysis(report, "f1")[1]["realized"], f1, "multiclass f1 (macro)")

    spec = BY_NAME["synthetic_car_price"]
    reference, analysis = load(spec)
    small = replace(spec, chunk_size=2000)
    report = estimate_one(small, reference.iloc[:12_000], analysis.iloc[:12_000], jobs)
    chunk, mae = first_analysis(report, "mae")
    rows = analysis.iloc[chunk["start_row"] : chunk["stop_row"]]
    close(mae["realized"], mean_absolute_error(rows["y_true"], rows["y_pred"]), "mae")

    spec = BY_NAME["synthetic_car_loan"]
    reference, analysis = load(spec)
    numerical = [c for c in spec.features if c not in spec.categorical]
    found = multivariate(
        prepare(reference.iloc[:8_000], numerical, spec.categorical),
        prepare(analysis.iloc[:8_000], numerical, spec.categorical),
        numerical,
        spec.categorical,
        2000,
        ["reconstruction", "classifier"],
        jobs,
    )
    for method, result in found.items():
        if len(result["chunks"]) != 8 or any(c["value"] is None for c in result["chunks"]):
            raise SystemExit(f"check failed: {method} gave {result['chunks']}")
    print(
        f"peer ok: nannyml {nml.__version__}; CBPE (binary, multiclass), DLE, data reconstruction and domain "
        f"classifier ran, realized metrics match scikit-learn ({time.perf_counter() - started:.0f}s)"
    )


# --- command line ---------------------------------------------------------------------------------------


def names(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="write each bundled dataset as Parquet with its meta.json")
    p.add_argument("--out", type=Path, default=OUT / "datasets")
    p.add_argument("--only", nargs="+", choices=list(BY_NAME))
    p = sub.add_parser("estimate", help="CBPE and DLE on the bundled datasets, per chunk, to JSON")
    p.add_argument("--out", type=Path, default=OUT / "peer")
    p.add_argument("--datasets-out", type=Path, default=OUT / "datasets")
    p.add_argument("--skip-export", action="store_true")
    p.add_argument("--only", nargs="+", choices=list(BY_NAME))
    p.add_argument("--jobs", type=int, default=1, help="LightGBM threads (DLE)")
    p = sub.add_parser("multivariate", help="data reconstruction and domain classifier drift on two files")
    p.add_argument("--reference", required=True)
    p.add_argument("--analysis", required=True)
    p.add_argument("--chunk-size", type=int, required=True)
    p.add_argument("--columns", type=names, default=[], help="numerical features, comma-separated")
    p.add_argument("--categorical", type=names, default=[], help="categorical features, comma-separated")
    p.add_argument("--methods", type=names, default=["reconstruction", "classifier"])
    p.add_argument("--jobs", type=int, default=1, help="LightGBM threads (domain classifier)")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("table", help="univariate drift, CBPE and PCA reconstruction on a SQLite log's two days")
    p.add_argument("--sqlite", type=Path, required=True)
    p.add_argument("--numerical", type=names, required=True)
    p.add_argument("--categorical", type=names, default=[])
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("check", help="every calculator on small slices (make bench-peer runs it)")
    p.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    if args.command == "check":
        check(args.jobs)
        return
    if args.command == "table":
        write_json(args.out, table(args.sqlite, args.numerical, args.categorical))
        return
    if args.command == "multivariate":
        if not args.columns and not args.categorical:
            parser.error("give --columns and/or --categorical")
        reference = prepare(read_frame(args.reference), args.columns, args.categorical)
        analysis = prepare(read_frame(args.analysis), args.columns, args.categorical)
        methods = multivariate(
            reference, analysis, args.columns, args.categorical, args.chunk_size, args.methods, args.jobs
        )
        write_json(
            args.out,
            {
                "peer": versions(),
                "reference": args.reference,
                "analysis": args.analysis,
                "reference_rows": len(reference),
                "analysis_rows": len(analysis),
                "chunk_size": args.chunk_size,
                "columns": args.columns,
                "categorical": args.categorical,
                "methods": methods,
            },
        )
        return
    for spec in DATASETS:
        if args.only and spec.name not in args.only:
            continue
        reference, analysis = load(spec)
        if args.command == "export" or not args.skip_export:
            export(spec, reference, analysis, args.out if args.command == "export" else args.datasets_out)
        if args.command == "estimate" and spec.task and spec.estimate:
            report = estimate_one(spec, reference, analysis, args.jobs)
            write_json(args.out / f"{spec.name}.json", report)
            figures = ", ".join(f"{m} {s['mean_abs_error']:.4g}" for m, s in report["summary"].items())
            print(f"  {spec.name}: mean |estimated - realized| over analysis chunks: {figures}", flush=True)


if __name__ == "__main__":
    main()
