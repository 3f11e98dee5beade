"""The report's section on a text column's content: the verdict, the words and phrases typical of each side, and
a few example texts of each side. Evidently is imported lazily, as by the other report widgets."""

from __future__ import annotations

import math
from itertools import zip_longest
from typing import Any

from monitor.text.content import MIN_TEXTS_PER_SIDE, ContentVerdict
from monitor.widgets import CounterData, counter, table_data


def content_widgets(column: str, verdict: ContentVerdict) -> list[Any]:
    window_rows, reference_rows = verdict.rows
    sampled = f"{window_rows:,} of the window, {reference_rows:,} of the reference"
    if math.isnan(verdict.score):
        return [
            counter(
                title=f"Text content drift: {column}",
                counters=[
                    CounterData("verdict", "not judged"),
                    CounterData("texts", f"{sampled}: fewer than {MIN_TEXTS_PER_SIDE} on a side"),
                ],
            )
        ]
    widgets: list[Any] = [
        counter(
            title=f"Text content drift: {column} (can a classifier tell the window's texts from the reference's?)",
            counters=[
                CounterData("verdict", "drifted" if verdict.detected else "not drifted"),
                CounterData("held-out ROC AUC", f"{verdict.score:.3f} (threshold {verdict.threshold:.3f})"),
                CounterData("texts sampled", sampled),
            ],
        )
    ]
    if verdict.window_terms or verdict.reference_terms:
        pairs = zip_longest(verdict.window_terms, verdict.reference_terms, fillvalue=("", math.nan))
        widgets.append(
            table_data(
                title=f"{column}: the words and phrases most typical of each side (z-score of the log-odds of the "
                "share of texts using them)",
                column_names=["typical of the window", "z", "typical of the reference", "z"],
                data=[[_inert(w), _z(wz), _inert(r), _z(rz)] for (w, wz), (r, rz) in pairs],
            )
        )
    if verdict.window_examples or verdict.reference_examples:
        widgets.append(
            table_data(
                title=f"{column}: the texts the classifier found most typical of each side",
                column_names=["window", "reference"],
                data=[
                    [_inert(w), _inert(r)]
                    for w, r in zip_longest(verdict.window_examples, verdict.reference_examples, fillvalue="")
                ],
            )
        )
    return widgets


def _inert(text: str) -> str:
    """The page carries the widgets as JSON inside a <script> element, where a text's "</script>" would end it and
    run what follows: logged texts are written by anyone, so their "<" is shown as a look-alike that cannot."""
    return text.replace("<", "\u2039")


def _z(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.1f}"
