"""Free-text drift, measured: DriftHound's whole judgement of a text column (its four descriptors by the calibrated
numerical tests, its content by the held-out word n-gram classifier) beside Evidently 0.7's text content drift,
on the same generated windows (tests/text_world.py: short support messages about a few topics).

    .venv/bin/python bench/text_embedding.py [--quick] [--quiet-windows 1000] [--windows 50]
        [--evidently-windows 200] [--only quiet,power,cost] [--out bench/out/text_embedding.json]

Definitions
- DriftHound alarms on a window when any of its text tests flags: each descriptor's (calibrated: distance and
  tails, or one test for a descriptor with few levels) and the content's, at the run's false-alarm rate (0.005)
  shared by all of them, as the `kinds` step shares it when the text column is the model's only feature.
- Evidently: its default stat test for a text column, as DataDriftPreset or ValueDrift picks it (for a
  reference over 1,000 rows "Absolute text content drift": a TF-IDF + SGD domain classifier trained on half of
  both sides, drift when the other half's ROC AUC > 0.55), called through its stat test registry (the same
  computation as Report([ValueDrift(...)]) without the report's overhead; the cost case times the Report).
- quiet: windows drawn from the reference's topic mix; shifted: the topic mix changes, the texts' lengths do not
  (tests/text_world.SHIFTED_MIX); new topic: a fifth topic takes 20 % of the texts (NEW_TOPIC_MIX).
- cost: learning a 100,000-text reference (descriptors cross-fitted, content sample, calibration of the four
  descriptors) and judging a 100,000-text window, in CPU seconds of this process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.drift.detect import DriftSettings, ReferenceProfile, count_tests, detect
from monitor.text.content import judge_content, learn_content_reference
from monitor.text.descriptors import DESCRIPTORS, describe, descriptor_column, learn_text_reference
from tests.text_world import NEW_TOPIC_MIX, QUIET_MIX, SHIFTED_MIX, messages

warnings.filterwarnings("ignore")

RUN_FALSE_ALARM_RATE = 0.005
MIN_EFFECT = 0.03  # the content classifier's smallest AUC rise over 0.5 that counts (the categorical default)
COLUMNS = [descriptor_column("comment", d) for d in DESCRIPTORS]
MIXES = {"quiet": QUIET_MIX, "shifted topic mix": SHIFTED_MIX, "new topic (20 %)": NEW_TOPIC_MIX}


class TextJudge:
    """DriftHound's judgement of one text column against one reference, as the `kinds` step makes it."""

    def __init__(self, reference: pd.Series, seed: int) -> None:
        self.text = learn_text_reference(reference, seed=seed)
        self.content = learn_content_reference(reference, seed=seed)
        own = self.text.descriptors.set_axis(COLUMNS, axis=1).reset_index(drop=True)
        self.profile = ReferenceProfile(own, dict.fromkeys(COLUMNS, "numerical"), seed=seed)
        self.settings = DriftSettings(false_alarm_rate=RUN_FALSE_ALARM_RATE)
        self.alpha = RUN_FALSE_ALARM_RATE / (count_tests(self.profile, COLUMNS, self.settings) + 1)

    def judge(self, window: pd.Series, seed: int) -> dict[str, float]:
        """Whether the text tests flag (all, content, descriptors) and the content's score on its null's scale (a
        standard normal when nothing changed, if the threshold is right)."""
        described = describe(window, self.text.vocabulary).set_axis(COLUMNS, axis=1).reset_index(drop=True)
        descriptors = detect(described, self.profile, COLUMNS, self.settings, alpha=self.alpha)
        content = judge_content(self.content, window, alpha=self.alpha, min_effect=MIN_EFFECT, seed=seed)
        by_descriptors = any(bool(v.detected) for v in descriptors)
        z = (content.score - 0.5) / (content.threshold - 0.5) * stats.norm.ppf(1 - self.alpha)
        return {
            "any": by_descriptors or content.detected,
            "content": content.detected,
            "descriptors": by_descriptors,
            "z": float(z),
        }


def evidently_text_drift(reference: pd.Series, window: pd.Series) -> bool:
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    test = get_stattest(reference, window, ColumnType.Text, None)
    return bool(test(reference, window, ColumnType.Text, None).drifted)


def windows_case(
    judge: TextJudge, reference: pd.Series, mix: dict[str, float], size: int, windows: int, evidently: int, seed: int
) -> dict[str, float]:
    """Shares of windows flagged: DriftHound (as a whole, by content, by descriptors) and Evidently (on the first
    `evidently` windows)."""
    rng = np.random.default_rng(seed)
    flagged = {"any": 0, "content": 0, "descriptors": 0}
    z, evidently_flagged, seconds = [], 0, []
    for index in range(windows):
        window = messages(rng, size, mix)
        started = time.process_time()
        verdict = judge.judge(window, seed=seed + index)
        seconds.append(time.process_time() - started)
        for key in flagged:
            flagged[key] += verdict[key]
        z.append(verdict["z"])
        if index < evidently:
            evidently_flagged += evidently_text_drift(reference, window)
    out: dict[str, float] = {"windows": windows, **{f"drifthound {k}": v / windows for k, v in flagged.items()}}
    scores = np.array(z)
    out |= {
        "content z mean": float(scores.mean()),
        "content z std": float(scores.std()),
        "content z > 1.645 (5 %)": float((scores > 1.645).mean()),
        "content z > 2.326 (1 %)": float((scores > 2.326).mean()),
        "drifthound cpu s a window": float(np.mean(seconds)),
    }
    if evidently:
        out |= {"evidently windows": min(evidently, windows), "evidently": evidently_flagged / min(evidently, windows)}
    return out


def cost(rows: int, repeats: int) -> dict[str, float]:
    """CPU seconds of learning a `rows`-text reference and of judging a `rows`-text window (best of `repeats`),
    and of Evidently's Report([ValueDrift]) on the same two."""
    rng = np.random.default_rng(7)
    reference, window = messages(rng, rows), messages(rng, rows, SHIFTED_MIX)
    learn, judge, describing, content = [], [], [], []
    for repeat in range(repeats):
        started = time.process_time()
        judged = TextJudge(reference, seed=repeat)
        learn.append(time.process_time() - started)
        started = time.process_time()
        judged.judge(window, seed=repeat)
        judge.append(time.process_time() - started)
        started = time.process_time()
        describe(window, judged.text.vocabulary)
        describing.append(time.process_time() - started)
        started = time.process_time()
        judge_content(judged.content, window, alpha=judged.alpha, min_effect=MIN_EFFECT, seed=repeat)
        content.append(time.process_time() - started)
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    definition = DataDefinition(text_columns=["comment"])
    current = Dataset.from_pandas(pd.DataFrame({"comment": window}), data_definition=definition)
    past = Dataset.from_pandas(pd.DataFrame({"comment": reference}), data_definition=definition)
    started = time.process_time()
    Report([ValueDrift(column="comment")]).run(current, past)
    evidently = time.process_time() - started
    return {
        "rows": rows,
        "drifthound learn (once per reference)": min(learn),
        "drifthound judge (per window)": min(judge),
        "  of which describe()": min(describing),
        "  of which judge_content()": min(content),
        "evidently Report([ValueDrift]) (per window)": evidently,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer windows (a smoke run, not for the figures)")
    parser.add_argument("--quiet-windows", type=int, help="quiet 1,000-row windows (default 1,000; 50 quick)")
    parser.add_argument("--windows", type=int, help="windows per power case (default 50; 10 quick)")
    parser.add_argument("--evidently-windows", type=int, help="of those, judged by Evidently too (default 200)")
    parser.add_argument("--reference-rows", type=int, default=5000)
    parser.add_argument("--only", default="quiet,power,cost")
    parser.add_argument("--out", default="bench/out/text_embedding.json")
    args = parser.parse_args()
    quiet_windows = args.quiet_windows or (50 if args.quick else 1000)
    windows = args.windows or (10 if args.quick else 50)
    evidently = args.evidently_windows if args.evidently_windows is not None else (10 if args.quick else 200)
    only = set(args.only.split(","))
    results: dict[str, object] = {"reference rows": args.reference_rows}
    reference = messages(np.random.default_rng(2026), args.reference_rows)
    judge = TextJudge(reference, seed=1)
    results["tests per window"] = count_tests(judge.profile, COLUMNS, judge.settings) + 1
    if "quiet" in only:
        started = time.time()
        key = f"quiet, windows of 1,000 rows, reference {args.reference_rows:,}"
        results[key] = windows_case(judge, reference, QUIET_MIX, 1000, quiet_windows, evidently, seed=10_000)
        print(f"{key}: {results[key]}  ({time.time() - started:.0f}s)", flush=True)
    if "power" in only:
        for size in (200, 1000, 5000):
            for index, (name, mix) in enumerate(MIXES.items()):
                started = time.time()
                key = f"{name}, windows of {size:,} rows"
                results[key] = windows_case(
                    judge, reference, mix, size, windows, min(evidently, windows), seed=20_000 + 1000 * index + size
                )
                print(f"{key}: {results[key]}  ({time.time() - started:.0f}s)", flush=True)
    if "cost" in only:
        results["cost"] = cost(10_000 if args.quick else 100_000, repeats=1 if args.quick else 3)
        print(f"cost: {results['cost']}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
