"""A proposed monitor as the TOML a person reads and edits: every choice with its reason as a comment."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.columns.inference import ColumnReading
from monitor.proposal.cadence import Cadence
from monitor.proposal.outputs import ModelColumns

# Where the reasons' comments start, so a column of them lines up.
COMMENT_AT = 41


@dataclass(frozen=True)
class Features:
    numerical: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    embeddings: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.numerical, *self.categorical, *self.text, *self.embeddings)


@dataclass(frozen=True)
class Proposal:
    name: str
    source_url: str  # as the file holds it: a password replaced by ${password_env}
    password_env: str | None
    table: str | None
    query: str | None
    timestamp: str
    timestamp_reason: str
    log_summary: str  # "336,159 rows from ... to ...; about 2,000 rows an hour over the last 7 days"
    sample_rows: int
    readings: tuple[ColumnReading, ...]  # every column of the sample, as inferred
    features: Features
    outputs: ModelColumns
    cadence: Cadence
    reference: str  # the inline table: { last = "7d", offset = "1d" }
    reference_why: str
    missing_seen: float  # share of sampled rows with a missing feature value
    segments_hint: str | None  # a categorical column with few values, worth cutting the window by


def render(proposal: Proposal, written_at: str) -> str:
    p = proposal
    header = f"Written by `drifthound init` at {written_at} from {_relation(p)}: {p.log_summary}. Roles were read "
    lines = [
        *(f"# {line}" for line in _wrapped(header + f"from {p.sample_rows:,} sampled rows.")),
        "# Read it, edit it, then: drifthound config check -c THIS_FILE; drifthound check -c THIS_FILE",
        "# To add it to an existing config, copy [sources.main] (renamed if taken) and the [[monitors]] part.",
        "# [service] is left to its defaults: the store drifthound.db and reports/ beside this file.",
        "",
        "[sources.main]",
        f"url = {_s(p.source_url)}",
    ]
    if p.password_env:
        lines.append(f"# the URL's password is not written here: export {p.password_env} where DriftHound runs")
    lines += ["", "[[monitors]]", f"name = {_s(p.name)}", 'source = "main"']
    lines.append(f"table = {_s(p.table)}" if p.table is not None else f"query = {_s(p.query)}")
    lines.append(_commented(f"timestamp_column = {_s(p.timestamp)}", p.timestamp_reason))
    lines += _feature_lists(p)
    lines += _outputs(p.outputs)
    lines += _not_judged(p)
    lines.append(_commented(f"schedule = {_s(p.cadence.schedule)}", p.cadence.when))
    lines.append(
        _commented(f"window = {_s(p.cadence.window_text)}", f"about {p.cadence.rows:,} rows a window on average")
    )
    lines += [f"# {line}" for line in _wrapped(p.reference_why)]
    lines.append(f"reference = {p.reference}")
    lines.append(_commented(f"min_rows = {p.cadence.min_rows}", "a window with fewer rows is skipped, not judged"))
    if p.segments_hint:
        lines.append(f"# segments = [{_s(p.segments_hint)}]  # the same figures for each of its values too")
    lines += _rules(p)
    lines += [
        "",
        "[channels.log]",
        _commented('type = "log"', "notifications as log events; for Slack:"),
        '# [channels.oncall]  type = "slack", webhook_url = "${SLACK_WEBHOOK_URL}"; then channels = ["oncall"]',
        "",
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _relation(p: Proposal) -> str:
    return f'table "{p.table}"' if p.table is not None else "the given query"


def _feature_lists(p: Proposal) -> list[str]:
    reasons = {r.column: r.reason for r in p.readings}
    lines = ["# Features, each with why it was taken for its kind (move or remove lines to change them):"]
    for key, columns in (
        ("numerical_features", p.features.numerical),
        ("categorical_features", p.features.categorical),
        ("text_features", p.features.text),
        ("embedding_features", p.features.embeddings),
    ):
        if not columns:
            lines.append(f"{key} = []" if key in ("numerical_features", "categorical_features") else f"# {key} = []")
            continue
        lines.append(f"{key} = [")
        lines += [_commented(f"    {_s(column)},", reasons.get(column, "")) for column in columns]
        lines.append("]")
    return lines


def _outputs(outputs: ModelColumns) -> list[str]:
    lines = []
    for key, column in (
        ("prediction_column", outputs.prediction),
        ("prediction_label_column", outputs.prediction_label),
        ("target_column", outputs.target),
    ):
        if column is not None:
            lines.append(_commented(f"{key} = {_s(column)}", outputs.reasons.get(column, "")))
    if outputs.task is not None:
        lines.append(_commented(f"task = {_s(outputs.task)}", "from the label's values"))
    else:
        lines += [
            '# task = "binary_classification"  # with target_column (or labels = { table, key, column, delay }):',
            "#                                   model quality, and its estimate before labels arrive",
        ]
    lines += [f"# {line}" for note in outputs.notes for line in _wrapped(note)]
    return lines


def _not_judged(p: Proposal) -> list[str]:
    used = {p.timestamp, *p.outputs.columns}
    listed = set(p.features.columns)
    left = [r for r in p.readings if r.column not in used and r.column not in listed]
    if not left:
        return []
    lines = ["# Not judged:"]
    lines += [f"#   {r.column}: {r.role}, {r.reason}" for r in left]
    return lines


@dataclass(frozen=True)
class _Rule:
    name: str
    metric: str
    threshold: str  # "above = 0.3"
    severity: str
    why: str
    column: str | None = None
    for_runs: int = 2


def _rules(p: Proposal) -> list[str]:
    rules = [
        _Rule("dataset drift", "drift.share", "above = 0.3", "critical", "a third of the features drifted at once"),
        _Rule(
            "column drift",
            "drift.ratio",
            "above = 1.0",
            "warning",
            "one alert per drifted column (its statistic past its calibrated threshold)",
            column="*",
        ),
    ]
    if p.outputs.prediction is not None or p.outputs.prediction_label is not None:
        rules.append(
            _Rule("prediction drift", "prediction.drift.detected", "above = 0.5", "warning", "the model's output moved")
        )
    missing = min(0.9, round(p.missing_seen + 0.1, 2))
    rules.append(
        _Rule(
            "missing values",
            "missing.share",
            f"above = {missing:g}",
            "warning",
            f"rows with a missing feature value: {p.missing_seen:.0%} in the sample, plus 10 points",
            for_runs=1,
        )
    )
    quality = {"binary_classification": "roc_auc", "multiclass_classification": "accuracy", "regression": "mae"}
    metric = quality.get(p.outputs.task or "")
    if metric is not None:
        outside = "outside_reference = 3.0"
        rules.append(_Rule("model quality", metric, outside, "critical", "outside what it was on the reference"))
        rules.append(
            _Rule(
                "model quality (estimated)",
                f"estimated.{metric}",
                "outside_reference = 3.0",
                "critical",
                "estimated without labels, before they arrive",
            )
        )
    lines = []
    for rule in rules:
        metric = _commented(f"metric = {_s(rule.metric)}", rule.why)
        lines += ["", "[[monitors.rules]]", f"name = {_s(rule.name)}", metric]
        if rule.column is not None:
            lines.append(f"column = {_s(rule.column)}")
        lines += [
            rule.threshold,
            _commented(f"for_runs = {rule.for_runs}", "consecutive breaching windows before it fires"),
            f"severity = {_s(rule.severity)}",
            'channels = ["log"]',
        ]
    return lines


def _commented(line: str, comment: str) -> str:
    if not comment:
        return line
    return f"{line.ljust(COMMENT_AT - 1)} # {_one_line(comment)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _wrapped(text: str, width: int = 110) -> Sequence[str]:
    words, lines, line = _one_line(text).split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def _s(value: str | None) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value)
