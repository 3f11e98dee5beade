"""What the column summaries and the quality-drop explanations add to a 100,000-row run, and how often the
explanations name the right segment and feature (run by hand):

    .venv/bin/python bench/explanations.py [--repeats 3]     # cost
    .venv/bin/python bench/explanations.py --accuracy 100    # attribution over generated windows

Attribution: the generated case of tests/integration/test_quality_drop.py, window after window (fresh draws,
5,000 rows each, a 24,000-row reference): a drop all in one region (its labels turn over), and a drop caused by
the feature the model's score follows (age bunches where the model is unsure) while an ignored feature
(income) triples. Counted: the region named first; age named, income not.

The logs of bench/estimation.py's cost (a binary model, estimation on, 8 numerical and 2 categorical
features, 50,000-row reference, 100,000-row windows), once as they are (nothing drifts: the shift step has
nothing to do) and once with every feature moved by half a standard deviation and the model's scores pushed
towards 0.5 (every feature drifts and the estimates leave their bands: the shift step resets MAX_FEATURES of
them, its worst case). Each window is evaluated in-process twice, taking turns: as shipped, and with the
quantiles, the shift step and the drop widget replaced by no-ops (the histograms the column pages keep are
the report's, drawn once); the share is of the evaluation itself (no process start-up), the strictest
reading.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.estimation import COST_DAY0, cost_log, cost_runner  # noqa: E402
from monitor.evaluation import window as evaluation  # noqa: E402
from monitor.evaluation.step import StepOutput  # noqa: E402
from monitor.windows import Window  # noqa: E402


def without_explanations():
    return mock.patch.multiple(
        evaluation,
        shift_rows=lambda *args, **kwargs: [],
        quantile_step=lambda *args, **kwargs: StepOutput(),
        drop_widget=lambda *args, **kwargs: [],
    )


class Timed:
    """The added steps wrapped to add up their own CPU seconds, the figure that noise on a shared machine does not
    blur (a run's wall time there moves by more than they cost)."""

    NAMES = ("shift_rows", "quantile_step", "drop_widget")

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - started

        return timed

    def patch(self):
        return mock.patch.multiple(evaluation, **{n: self.wrap(getattr(evaluation, n)) for n in self.NAMES})


def measure(case: str, shift: float, repeats: int, window_rows: int = 100_000, reference_rows: int = 50_000) -> dict:
    frame = cost_log("binary_classification", window_rows, reference_rows, repeats + 1)
    for i in range(8):
        frame.loc[reference_rows:, f"x{i}"] += shift
    if shift:  # the model grows unsure: its estimated quality drops
        frame.loc[reference_rows:, "p"] = 0.5 + (frame.loc[reference_rows:, "p"] - 0.5) * 0.3
    # The reference is one hour (no band of its own): a fixed floor under the estimate says when it dropped.
    floor = 'rules = [{ name = "floor", metric = "estimated.accuracy", below = 0.65 }]'
    config, runner = cost_runner(
        f"explanations_{case}", frame, "binary_classification", {"with": floor, "without": floor}
    )
    timings: dict[str, list[float]] = {"with": [], "without": []}
    resets = 0
    added: list[float] = []
    for h in range(1, repeats + 2):
        window = Window(COST_DAY0 + timedelta(hours=h), COST_DAY0 + timedelta(hours=h + 1))
        for name in ("with", "without") if h % 2 else ("without", "with"):
            started = time.perf_counter()
            if name == "without":
                with without_explanations():
                    result = runner.run(config.monitor(name), window)
            else:
                timer = Timed()
                with timer.patch():
                    result = runner.run(config.monitor(name), window)
                resets = len({r.column for r in result.metrics if r.metric.endswith(".shift_effect")})
                if h > 1:
                    added.append(timer.seconds)
            assert result.status == "ok", result.reason
            if h > 1:  # the first window fits the reference; the others reuse it
                timings[name].append(time.perf_counter() - started)
    on, off = float(np.median(timings["with"])), float(np.median(timings["without"]))
    found = {"case": case, "features_reset": resets, "run_with": round(on, 2), "run_without": round(off, 2)}
    found["added_share"] = round(on / off - 1, 3)
    found["added_cpu_seconds"] = round(float(np.median(added)), 3)
    found["added_cpu_share"] = round(float(np.median(added)) / off, 3)
    print(found)
    return found


def case(rows: int, rng: np.random.Generator, *, turned: bool, squeezed: bool) -> pd.DataFrame:
    region = rng.choice(["north", "south", "east", "west"], rows, p=[0.35, 0.25, 0.15, 0.25])
    age = rng.normal(40, 4 if squeezed else 10, rows)
    score = 1 / (1 + np.exp(-(age - 40) / 3))
    label = (rng.random(rows) < score).astype(int)
    if turned:
        label = np.where(region == "west", 1 - label, label)
    income = rng.lognormal(10, 0.5, rows) * (3.0 if squeezed else 1.0)
    decided = (score >= 0.5).astype(int)
    return pd.DataFrame(
        {"age": age, "income": income, "region": region, "score": score, "approved": decided, "label": label}
    )


def accuracy(windows: int, rows: int = 5_000) -> dict:
    from monitor.columns.roles import ColumnRoles
    from monitor.explain.drop import account
    from monitor.explain.shift import shift_effects
    from monitor.metric_names import shift_effect_name
    from monitor.performance.estimator import fit_estimator

    roles = ColumnRoles(
        numerical=("age", "income"),
        categorical=("region",),
        prediction="score",
        prediction_label="approved",
        target="label",
        task="binary_classification",
    )
    rng = np.random.default_rng(11)
    reference = case(24_000, rng, turned=False, squeezed=False)
    estimator = fit_estimator(reference, roles, "probability", seed=1)
    assert not isinstance(estimator, str), estimator
    baseline = float((reference["approved"] == reference["label"]).mean())

    def estimate(frame: pd.DataFrame) -> dict[str, float] | None:
        found = estimator.estimate(frame)
        return None if isinstance(found, str) else found.values

    segment_first = feature_named = ignored_named = 0
    for _ in range(windows):
        window = case(rows, rng, turned=True, squeezed=False)
        correct = window["approved"] == window["label"]
        figures = {("accuracy", "", ""): float(correct.mean()), ("accuracy.reference_mean", "", ""): baseline}
        for region, part in window.groupby("region"):
            figures[("accuracy", "", f"region={region}")] = float(correct[part.index].mean())
            figures[("rows", "", f"region={region}")] = float(len(part))
        found = account(figures, "accuracy")
        segment_first += found is not None and found.segments[0].segment == "region=west"

        window = case(rows, rng, turned=False, squeezed=True)
        values = estimate(window) or {}
        figures = {
            ("estimated.accuracy", "", ""): values["accuracy"],
            ("estimated.accuracy.reference_mean", "", ""): baseline,
        }
        effects = shift_effects(
            window,
            reference,
            ["age", "income"],
            estimate,
            lambda c: True,
            lambda n: estimator.sampling_errors(n, ("accuracy",)),
        )
        for feature, by in effects.items():
            if "accuracy" in by:
                figures[(shift_effect_name("accuracy"), feature, "")] = by["accuracy"]
        found = account(figures, "estimated.accuracy")
        named = [f.feature for f in found.features] if found is not None else []
        feature_named += "age" in named
        ignored_named += "income" in named
    result = {
        "windows": windows,
        "segment_named_first": segment_first,
        "feature_named": feature_named,
        "ignored_feature_named": ignored_named,
    }
    print(result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--accuracy", type=int, default=0, help="windows per case for the attribution counts")
    args = parser.parse_args()
    if args.accuracy:
        accuracy(args.accuracy)
        return
    measure("stable", 0.0, args.repeats)
    measure("every feature drifted", 0.5, args.repeats)


if __name__ == "__main__":
    main()
