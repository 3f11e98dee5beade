"""The estimated model-quality step of a run: what the model's quality is likely to be in this window, from its
outputs alone (performance/estimator.py), stored as `estimated.<metric>` with `estimated.<metric>.sampling_error`,
and shown beside the realized figure (when labels have arrived) and the reference's band."""

from __future__ import annotations

from typing import Any

from monitor.evaluation.prepare import Prepared
from monitor.evaluation.step import StepOutput
from monitor.figures import MetricRow, as_mapping
from monitor.metric_names import estimated_name, reference_names, sampling_error_name
from monitor.performance.estimator import Estimate, Estimator
from monitor.widgets import table_data


def estimation(current: Prepared, estimator: Estimator | str | None) -> StepOutput:
    out = StepOutput()
    if estimator is None:
        return out
    if isinstance(estimator, str):
        out.notes.append(estimator)
        return out
    estimate = estimator.estimate(current.frame)
    if isinstance(estimate, str):
        out.notes.append(f"model quality not estimated: {estimate}")
        return out
    out.metrics += _rows(estimate)
    out.snapshot["estimated"] = {
        "values": estimate.values,
        "sampling_errors": estimate.sampling_errors,
        "calibration": [c.method for c in estimator.calibrators],
    }
    return out


def _rows(estimate: Estimate) -> list[MetricRow]:
    rows = [MetricRow(estimated_name(name), "", value) for name, value in estimate.values.items()]
    rows += [MetricRow(sampling_error_name(name), "", value) for name, value in estimate.sampling_errors.items()]
    return rows


def estimation_widget(metrics: list[MetricRow], names: tuple[str, ...], k: float = 3.0) -> list[Any]:
    """A table: each metric's estimate +- its sampling error, the realized value when labels have arrived,
    and the band the realized figure keeps on the reference (mean +- k std over its windows)."""
    values = as_mapping(metrics)
    rows = []
    for name in names:
        estimate = values.get((estimated_name(name), ""))
        if estimate is None:
            continue
        error = values.get((sampling_error_name(name), ""))
        realized = values.get((name, ""))
        mean_name, std_name = reference_names(estimated_name(name))
        mean, std = values.get((mean_name, "")), values.get((std_name, ""))
        band = f"{mean - k * std:.4g} .. {mean + k * std:.4g}" if mean is not None and std is not None else ""
        outside = mean is not None and std is not None and abs(estimate - mean) > k * std
        rows.append(
            [
                name,
                f"{estimate:.4g}" + (f" ± {error:.2g}" if error is not None else ""),
                "" if realized is None else f"{realized:.4g}",
                band,
                "outside the band" if outside else "",
            ]
        )
    if not rows:
        return []
    return [
        table_data(
            title="Model quality estimated without labels (the realized figure once labels arrive; the band is "
            f"the realized figure's mean ± {k:g} std over reference windows of this size)",
            column_names=["metric", "estimated ± sampling error", "realized", "reference band", ""],
            data=rows,
        )
    ]
