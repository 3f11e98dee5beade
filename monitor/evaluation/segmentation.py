"""Cutting a window, and its reference, into segments: one per value of each segment column (the largest
MAX_SEGMENTS by rows in the window; the rest together as "(other)"). Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_SEGMENTS = 20
OTHER = "(other)"


@dataclass(frozen=True)
class Segment:
    name: str  # "region=north"
    column: str
    values: tuple[str, ...]  # the values it holds ("(other)": every value not a segment of its own)
    current: np.ndarray  # which rows of the window are in it
    reference: np.ndarray  # which rows of the reference are in it


def segments_of(current: pd.DataFrame, reference: pd.DataFrame, columns: tuple[str, ...]) -> list[Segment]:
    segments = []
    for column in columns:
        counts = current[column].value_counts(dropna=True)
        top = [str(v) for v in counts.index[:MAX_SEGMENTS]]
        window_values, reference_values = current[column].astype(object), reference[column].astype(object)
        for value in top:
            segments.append(
                Segment(
                    f"{column}={value}",
                    column,
                    (value,),
                    (window_values == value).to_numpy(),
                    (reference_values == value).to_numpy(),
                )
            )
        rest = window_values.notna() & ~window_values.isin(top)
        if rest.any():
            others = tuple(sorted({str(v) for v in window_values[rest]}))
            segments.append(
                Segment(
                    f"{column}={OTHER}",
                    column,
                    others,
                    rest.to_numpy(),
                    (reference_values.notna() & ~reference_values.isin(top)).to_numpy(),
                )
            )
    return segments
