"""What accounts for a quality drop (monitor/explain): the segments' shares, the features' resets, the words."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from monitor.explain.drop import account, drops, explanation, left_band
from monitor.explain.shift import reset_weights, shift_effects, systematic
from monitor.web.column_page import ColumnView, column_page, column_url
from monitor.web.pages import Series


def segment_figures(metric: str, whole: float, baseline: float, segments: dict[str, tuple[int, float]]) -> dict:
    figures = {(metric, "", ""): whole, (f"{metric}.reference_mean", "", ""): baseline}
    for name, (rows, value) in segments.items():
        figures[(metric, "", name)] = value
        figures[("rows", "", name)] = float(rows)
    return figures


def test_a_drop_all_in_one_segment_is_that_segment_s_whole_share():
    rng = np.random.default_rng(3)
    # Rows of four regions and two versions; only region=west's rows are wrong more often.
    region = rng.choice(["north", "south", "east", "west"], 4000, p=[0.4, 0.3, 0.2, 0.1])
    version = rng.choice(["v1", "v2"], 4000)
    correct = rng.random(4000) < np.where(region == "west", 0.4, 0.9)
    segments = {
        f"{column}={value}": (int(np.sum(values == value)), float(correct[values == value].mean()))
        for column, values in (("region", region), ("model_version", version))
        for value in np.unique(values)
    }
    found = account(segment_figures("accuracy", float(correct.mean()), 0.9, segments), "accuracy")
    assert found is not None and found.segments[0].segment == "region=west"
    assert found.segments[0].share > 0.9
    assert explanation(found).startswith("accounted for by region=west (")


def test_lower_is_better_and_a_segment_that_improved_takes_no_share():
    figures = segment_figures("mae", 3.0, 2.0, {"region=a": (100, 6.0), "region=b": (300, 1.5)})
    found = account(figures, "mae")
    assert found is not None and [(s.segment, round(s.share, 3)) for s in found.segments] == [("region=a", 1.0)]
    assert account(segment_figures("mae", 1.0, 2.0, {"region=a": (100, 1.0)}), "mae") is None, "no drop"


def test_a_drop_is_held_to_the_band_or_the_rule_s_threshold():
    figures = {
        ("accuracy", "", ""): 0.7,
        ("accuracy.reference_mean", "", ""): 0.8,
        ("accuracy.reference_std", "", ""): 0.02,
    }
    assert left_band(figures, "accuracy", 3.0, None) and not left_band(figures, "accuracy", 6.0, None)
    assert left_band(figures, "accuracy", None, 0.75) and not left_band(figures, "accuracy", None, 0.6)
    assert not drops(figures, ["accuracy"], {"accuracy": 3.0}, {}), "nothing to say without segments or features"


def test_feature_shares_name_the_feature_whose_reset_brings_the_estimate_back():
    figures = {
        ("estimated.accuracy", "", ""): 0.70,
        ("estimated.accuracy.reference_mean", "", ""): 0.85,
        ("estimated.accuracy.shift_effect", "age", ""): -0.12,
        ("estimated.accuracy.shift_effect", "income", ""): 0.01,
    }
    found = account(figures, "estimated.accuracy")
    assert found is not None and [f.feature for f in found.features] == ["age"]
    assert round(found.features[0].share, 2) == 0.8


def test_resetting_an_unmoved_feature_gives_the_window_back():
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 5000), "c": rng.choice(list("abc"), 5000)})
    window = pd.DataFrame({"x": rng.normal(0, 1, 2000), "c": rng.choice(list("abc"), 2000)})
    weights = reset_weights(window["x"], reference["x"], numerical=True)
    assert weights is not None and 1 / np.sum(weights**2) > 1900, "nearly even weights"
    assert list(systematic(np.full(7, 1 / 7), 7)) == list(range(7))

    def mean_x(frame: pd.DataFrame) -> dict[str, float]:
        return {"mean": float(frame["x"].mean())}

    shifted = window.assign(x=window["x"] + 0.5)
    effects = shift_effects(shifted, reference, ["x", "c"], mean_x, numerical=lambda c: c == "x")
    assert effects["x"]["mean"] > 0.3, "resetting x takes its shift away"
    assert abs(effects["c"]["mean"]) < 0.05, "resetting c changes little"


def test_a_column_page_escapes_and_quotes_its_names():
    end = datetime(2026, 12, 1, tzinfo=UTC)
    view = ColumnView(
        monitor="m",
        column="a/<b>",
        ratio=Series("ratio", ((end, 1.5),)),
        ends=(end,),
        quantiles={},
        reference_quantiles={},
        links={},
        runs=(),
    )
    page = column_page(view, end)
    assert "a/&lt;b&gt;" in page and "<b>" not in page and "not learnt" in page
    assert column_url("m", "a/<b>") == "/reports/m/columns/a%2F%3Cb%3E"


def test_slack_says_what_explains_a_firing_quality_drop():
    from alerts.notices import AlertNotice, Notification
    from alerts.slack import slack_message

    notice = AlertNotice(
        "accuracy drop",
        "critical",
        "accuracy",
        None,
        0.7,
        0.75,
        "below",
        "firing",
        "first_notification",
        None,
        "2026-12-01T00:00:00Z",
        explanation="accounted for by region=west (97%)",
    )
    message = slack_message(Notification("m", "2026-11-30T23:00:00Z", "2026-12-01T00:00:00Z", (notice,)))
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert "`accuracy` accounted for by region=west (97%)" in sections
    assert "accuracy accounted for by region=west (97%)" in message["text"]
