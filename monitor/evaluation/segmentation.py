"""Cutting a window, and its reference, into segments: one per value of each segment column (the largest
MAX_SEGMENTS by rows in the window; the rest together as "(other)"). Pure.

Each column is grouped once (one factorisation, one stable sort of its codes), not compared with each value in
turn: the reference's groups are learnt once per reference (`groups`), a window's in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_SEGMENTS = 20
OTHER = "(other)"
NO_ROWS = np.zeros(0, dtype=np.intp)


@dataclass(frozen=True)
class Segment:
    name: str  # "region=north"
    column: str
    values: tuple[str, ...]  # the values it holds ("(other)": every value not a segment of its own)
    current: np.ndarray  # the positions of the window's rows in it, ascending
    reference: np.ndarray  # the positions of the reference's rows in it, ascending


def groups(values: pd.Series) -> dict[str, np.ndarray]:
    """The positions (ascending) of the rows holding each value; missing values are in none."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")  # stable: each group's positions stay ascending
    starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))  # missing (-1) sort first
    return {str(value): order[starts[k] : starts[k + 1]] for k, value in enumerate(uniques)}


def reference_groups(reference: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:
    return {column: groups(reference[column]) for column in columns}


def segments_of(
    current: pd.DataFrame, reference: Mapping[str, Mapping[str, np.ndarray]], columns: tuple[str, ...]
) -> list[Segment]:
    """`reference`: the reference's `groups` of each column."""
    segments = []
    for column in columns:
        window = groups(current[column])
        known = reference[column]
        # The largest first; equal sizes in the order of their values, so a run's segments do not depend on
        # the order its rows came in.
        ranked = sorted(window, key=lambda value: (-len(window[value]), value))
        top, rest = ranked[:MAX_SEGMENTS], ranked[MAX_SEGMENTS:]
        for value in top:
            segments.append(Segment(f"{column}={value}", column, (value,), window[value], known.get(value, NO_ROWS)))
        if rest:
            shown = set(top)
            others = [value for value in known if value not in shown]
            segments.append(
                Segment(
                    f"{column}={OTHER}",
                    column,
                    tuple(sorted(rest)),
                    _together([window[value] for value in rest]),
                    _together([known[value] for value in others]),
                )
            )
    return segments


def _together(parts: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(parts)) if parts else NO_ROWS
