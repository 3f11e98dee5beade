"""Free text: judged by descriptors of each text (length, words, share of new words, share of non-letters),
compared as numerical features with their own calibrated thresholds, and by its content: can a classifier on
word n-grams tell the window's texts from the reference's (monitor/text/)?"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from monitor.columns.kinds import categorical
from monitor.columns.kinds.base import Judged, Judgement, Kind
from monitor.columns.roles import ColumnRoles
from monitor.drift.detect import ColumnDrift, ColumnSettings, DriftSettings, ReferenceProfile, count_tests, detect
from monitor.text.descriptors import TextReference, describe, descriptor_column, learn_text_reference
from monitor.text.tokens import words

if TYPE_CHECKING:  # the content classifier imports scikit-learn: loaded when a text column is judged
    from monitor.text.content import ContentReference

# A column is free text when its values are mostly different and hold several words on average.
MIN_DISTINCT = 20
MIN_DISTINCT_SHARE = 0.2
MIN_WORDS = 3.0


def detect_text(values: pd.Series) -> str | None:
    if not len(values) or not (ptypes.is_object_dtype(values) or ptypes.is_string_dtype(values)):
        return None
    if not all(isinstance(v, str) for v in values.head(100)):
        return None
    texts = values.astype(str)
    distinct = texts.nunique()
    if distinct < MIN_DISTINCT or distinct < MIN_DISTINCT_SHARE * len(texts):
        return None
    mean_words = float(np.mean([len(words(text)) for text in texts]))
    if mean_words < MIN_WORDS:
        return None
    return f"{round(100 * distinct / len(texts))} % distinct in the sample, {mean_words:.1f} words on average"


def prepare(series: pd.Series, column: str, role: str) -> pd.Series:
    return categorical.prepare(series)


@dataclass(frozen=True, eq=False)
class TextState:
    """What a text column keeps of its reference: the descriptors' vocabulary and profile, the content's
    sample."""

    column: str
    text: TextReference
    content: ContentReference
    descriptors: tuple[str, ...]  # "c:length", ...
    profile: ReferenceProfile
    settings: DriftSettings  # calibrated, whatever the monitor's drift_method (descriptors are DriftHound's own)

    @property
    def tests(self) -> int:
        """Each descriptor's tests and the content's."""
        return count_tests(self.profile, self.descriptors, self.settings) + 1

    def judge(self, window: pd.DataFrame, *, alpha: float, min_effect: float, seed: int) -> Judgement:
        return judge(self, window, alpha=alpha, min_effect=min_effect, seed=seed)


def learn_all(reference: pd.DataFrame, roles: ColumnRoles, settings: DriftSettings, seed: int) -> list[Judged]:
    return [learn(reference, column, settings, seed=seed) for column in roles.text]


def learn(reference: pd.DataFrame, column: str, settings: DriftSettings, *, seed: int) -> TextState:
    from monitor.text.content import learn_content_reference

    texts = reference[column]
    text = learn_text_reference(texts, seed=seed)
    frame = text.descriptors.rename(columns=lambda d: descriptor_column(column, d))
    names = tuple(frame.columns)
    profile = ReferenceProfile(frame.reset_index(drop=True), dict.fromkeys(names, "numerical"), seed=seed)
    content = learn_content_reference(texts, seed=seed)
    own = replace(settings, default=ColumnSettings(), columns={})
    return TextState(column, text, content, names, profile, own)


def judge(state: TextState, window: pd.DataFrame, *, alpha: float, min_effect: float, seed: int) -> Judgement:
    """`min_effect`: the content classifier's smallest AUC rise over 0.5 that counts."""
    from monitor.evaluation.report_widgets import drift_table
    from monitor.text.content import judge_content
    from monitor.text.report import content_widgets

    texts = window[state.column]
    described = describe(texts, state.text.vocabulary).rename(columns=lambda d: descriptor_column(state.column, d))
    described = described.reset_index(drop=True)
    verdicts = detect(described, state.profile, state.descriptors, state.settings, alpha=alpha)
    out = Judgement(state.column, list(verdicts))
    content = (
        judge_content(state.content, texts, alpha=alpha, min_effect=min_effect, seed=seed)
        if texts.notna().any()
        else None
    )
    if content is not None:
        out.widgets += content_widgets(state.column, content)
    if content is None or not np.isfinite(content.score):
        method = content.method if content is not None else "text classifier"
        out.verdicts.insert(0, ColumnDrift(state.column, method, None, None, None, None))
        out.notes.append(f'too few texts in "{state.column}" in the window: its content is not judged')
    else:
        score, threshold = float(content.score), float(content.threshold)
        drift = ColumnDrift(
            state.column, content.method, score, threshold, score - 0.5, bool(content.detected), baseline=0.5
        )
        out.verdicts.insert(0, drift)
        out.snapshot = {"content": asdict(drift), "rows": list(content.rows)}
    out.widgets += drift_table(f'Text "{state.column}": descriptors of each text', verdicts, state.profile, described)
    return out


KIND = Kind("free text", "text_features", detect_text, prepare, learn_all)
