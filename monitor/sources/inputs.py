"""The two inputs of a run: the current window and its reference, for one monitor.

Column roles are resolved here (configured, or inferred from the table) and every
configured column is checked before reading. The reference is kept in memory until
its definition or bounds change, so a fixed reference is read once; a rolling one is
kept until enough of its rows change (refit.py decides, from counts made here).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pandas as pd

from monitor.columns.inference import ColumnReading, infer_roles, listed_readings
from monitor.columns.roles import ColumnRoles, configured_roles
from monitor.config import MonitorConfig
from monitor.errors import DataError, SourceError
from monitor.redaction import safe_url
from monitor.sources import sampling
from monitor.sources.kept_references import ReferenceCache, monitor_settings, reference_key
from monitor.sources.reader import ReadResult, Source, shown_columns
from monitor.sources.refit import Changed, Refit, refit_after_counting, refit_before_counting
from monitor.sources.timestamps import to_utc
from monitor.times import span
from monitor.windows import ReferenceSpans, Window, reference_spans


@dataclass(frozen=True)
class ReferenceKey:
    """What a read reference depends on: while all of it stays the same, the reference is not read again."""

    spans: ReferenceSpans | None  # None: a whole reference table
    columns: tuple[str, ...]
    max_rows: int
    table: str | None


@dataclass
class ReferenceRead:
    spans: ReferenceSpans | None  # None: a whole reference table
    result: ReadResult
    timestamps: pd.Series | None = None  # each row's time (UTC), when asked for and the source has them
    # What runs derive from this reference and reuse while it stays the same (prepared frame, drift profile,
    # baselines), each under a key that says what else it depends on (see evaluation.derived).
    derived: dict[Hashable, object] = field(default_factory=dict)
    read_for: Window | None = None  # the window it was read for
    # For a rolling reference held from an earlier window: whether this run kept or refitted it, and why.
    refit: Refit | None = None

    @property
    def bounds(self) -> Window | None:
        return self.spans.bounds if self.spans is not None else None

    def describe(self, table: str | None) -> str:
        if self.spans is None:
            return f'table "{table}"'
        if self.spans.seasonality is None:
            return span(self.spans.bounds.start, self.spans.bounds.end)
        first, last = self.spans.spans[0], self.spans.spans[-1]
        count = len(self.spans.spans)
        return (
            f"{self.spans.seasonality}: {count} span{'s' if count > 1 else ''}, "
            f"{span(first.start, first.end)} to {span(last.start, last.end)}"
        )


class MonitorInputs:
    def __init__(self, monitor: MonitorConfig, source_url: str, *, cache: ReferenceCache | None = None) -> None:
        self.monitor = monitor
        self.cache = cache  # references kept on disk across processes (None: only in memory)
        self.source = Source(
            source_url, table=monitor.table, query=monitor.query, timestamp_column=monitor.timestamp_column
        )
        reference_table = monitor.reference.table
        # A reference table is cut into windows by its timestamps when it has them (outside_reference rules).
        self.reference_source = (
            Source(source_url, table=reference_table, timestamp_column=monitor.timestamp_column)
            if reference_table is not None
            else self.source
        )
        labels = monitor.labels
        self.labels_source = Source(source_url, table=labels.table) if labels is not None else None
        self._roles: ColumnRoles | None = None
        self._readings: tuple[ColumnReading, ...] | None = None  # each column's role and why, when inferred
        self.notes: tuple[str, ...] = ()  # what every run should say about how its columns were found
        self._reference_key: ReferenceKey | None = None
        self._reference: ReferenceRead | None = None
        self._kept_key: str | None = None  # the held reference's key on disk
        self._kept_derived = 0  # how many derived artefacts it had when last saved or loaded
        # What runs keep across references (a day's cycle measurement), each under a key saying what it holds for.
        self.kept: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def reference_cells(self) -> int:
        """Rows x columns of the reference held (what keeping these inputs costs in memory, roughly)."""
        reference = self._reference
        return 0 if reference is None else int(reference.result.frame.size)

    def roles(self) -> ColumnRoles:
        if self._roles is None:
            available = self.source.columns()
            if self.monitor.features_listed:
                roles = configured_roles(self.monitor)
            else:
                sample = self.source.sample()
                key, note = self.source.primary_key()
                roles, self._readings = infer_roles(self.monitor, sample, exclude=key)
                self.notes = (note,) if note else ()
                if not roles.all_features:
                    raise DataError(
                        f"no feature columns could be inferred from {self.source.label} "
                        f"(columns: {', '.join(available)}); list numerical_features and "
                        "categorical_features"
                    )
            read = self._read_columns(roles)
            _check_columns(read, roles, self.monitor, available, self.source.label, include_timestamp=True)
            if self.reference_source is not self.source:
                _check_columns(
                    read,
                    roles,
                    self.monitor,
                    self.reference_source.columns(),
                    self.reference_source.label,
                    include_timestamp=False,
                )
            if self.labels_source is not None and self.monitor.labels is not None:
                labels = self.monitor.labels
                present = self.labels_source.columns()
                for column, role in ((labels.key, "labels.key"), (labels.column, "labels.column")):
                    if column not in present:
                        raise DataError(
                            f'column "{column}" ({role}) is not in {self.labels_source.label} (it has: '
                            f"{shown_columns(present)}); fix the monitor's labels or the table"
                        )
            self._roles = roles
        return self._roles

    def readings(self) -> tuple[ColumnReading, ...]:
        """Each column of the table: the role it was given and why (as listed, or inferred from a sample)."""
        roles = self.roles()
        if self._readings is None:
            key, _ = self.source.primary_key()
            self._readings = listed_readings(self.monitor, roles, self.source.sample(), key)
        return self._readings

    def _read_columns(self, roles: ColumnRoles) -> list[str]:
        """The prediction table's columns a run reads: with joined labels, the key instead of the target."""
        labels = self.monitor.labels
        if labels is None:
            return list(roles.columns)
        return [*(c for c in roles.columns if c != roles.target), labels.key]

    def _with_labels(self, result: ReadResult, *, fetch: bool) -> ReadResult:
        """Adds the target column from the labels table (all missing when `fetch` is false: not due yet)."""
        labels = self.monitor.labels
        if labels is None or self.labels_source is None:
            return result
        frame = result.frame
        keys = frame[labels.key]
        if fetch:
            found = self.labels_source.lookup(labels.key, labels.column, keys.dropna().unique().tolist())
            frame = frame.assign(**{labels.column: keys.map(found)})
        else:
            frame = frame.assign(**{labels.column: pd.Series([None] * len(frame), dtype=object)})
        return ReadResult(frame.drop(columns=[labels.key]), result.rows_total, result.seed, result.notes)

    def read_current(self, window: Window, *, with_labels: bool = True) -> ReadResult:
        seed = sampling.seed_for(self.monitor.name, window.start, window.end)
        result = self.source.read(self._read_columns(self.roles()), window, max_rows=self.monitor.max_rows, seed=seed)
        return self._with_labels(result, fetch=with_labels)

    def read_reference(self, window: Window, *, with_timestamps: bool = False) -> ReferenceRead:
        """The reference for `window`; `with_timestamps` adds its rows' times (UTC), when the source has them."""
        reference = self.monitor.reference
        try:
            spans = reference_spans(
                last=reference.last,
                offset=reference.offset,
                start=reference.start,
                end=reference.end,
                seasonality=reference.seasonality,
                current=window,
            )
        except ValueError as error:
            raise DataError(f"monitor {self.monitor.name!r} reference: {error}") from None
        bounds = spans.bounds if spans is not None else None
        timestamp = self.monitor.timestamp_column
        timed = with_timestamps and timestamp in self.reference_source.columns()
        columns = [*self._read_columns(self.roles()), *([timestamp] if timed else [])]
        key = ReferenceKey(spans, tuple(columns), self.monitor.max_rows, reference.table)
        with self._lock:
            held, held_key = self._reference, self._reference_key
        if held is not None and held_key == key:
            return held
        refit = None
        if held is not None and spans is not None and held_key == replace(key, spans=held.spans):  # moved only
            refit = self._refit(held, spans)
            if refit.keep:
                return replace(held, refit=refit)
        seed = sampling.seed_for(self.monitor.name, bounds.start if bounds else None, bounds.end if bounds else None)
        kept_key = self._key_on_disk(key, seed)
        loaded = self.cache.load(self.monitor.name, kept_key) if self.cache and kept_key else None
        if isinstance(loaded, ReferenceRead):
            with self._lock:
                self._reference_key, self._reference = key, loaded
                self._kept_key, self._kept_derived = kept_key, len(loaded.derived)
            return loaded if refit is None else replace(loaded, refit=refit)
        result = self._with_labels(
            self.reference_source.read(
                columns, spans.spans if spans is not None else None, max_rows=self.monitor.max_rows, seed=seed
            ),
            fetch=True,
        )
        times = None
        if timed:
            times = to_utc(result.frame[timestamp], self.reference_source.timestamp_encoding())
            result = ReadResult(result.frame.drop(columns=[timestamp]), result.rows_total, result.seed, result.notes)
        read = ReferenceRead(spans, result, times, read_for=window)
        with self._lock:
            self._reference_key, self._reference = key, read
            self._kept_key, self._kept_derived = kept_key, 0
        return read if refit is None else replace(read, refit=refit)

    def _refit(self, held: ReferenceRead, spans: ReferenceSpans) -> Refit:
        """Whether the rolling reference held stays in place of `spans`: the rows it would lose and gain, counted
        in the source (one indexed count per side), against the share `refit` allows."""
        assert held.spans is not None and held.read_for is not None
        threshold, fitted_for = self.monitor.reference.refit_share, held.read_for.end
        decided = refit_before_counting(held.spans, spans, fitted_for, threshold)
        if decided is not None:
            return decided
        changed = Changed.between(held.spans, spans)
        source = self.reference_source
        removed = None if changed.disjoint else (source.count(changed.removed) if changed.removed else 0)
        added = source.count(changed.added) if changed.added and removed is not None else 0
        return refit_after_counting(
            held_rows=held.result.rows_total, removed=removed, added=added, threshold=threshold, fitted_for=fitted_for
        )

    def keep_reference(self) -> None:
        """Saves the reference held, with what runs derived from it, for the next process to load (after a
        run: only when it derived something not saved yet)."""
        with self._lock:
            reference, kept_key, saved = self._reference, self._kept_key, self._kept_derived
        if self.cache is None or reference is None or kept_key is None or len(reference.derived) == saved:
            return
        derived = len(reference.derived)
        self.cache.save(self.monitor.name, kept_key, reference)
        with self._lock:
            if self._reference is reference:
                self._kept_derived = derived

    def _key_on_disk(self, key: ReferenceKey, seed: int) -> str | None:
        """What the reference depends on, hashed (kept_references): the configuration, the source, and the
        row counts of the reference (and of its labels, where they matter). None: not kept."""
        if self.cache is None:
            return None
        spans = key.spans.spans if key.spans is not None else None
        roles = self.roles()
        labels = self.monitor.labels
        try:
            rows = self.reference_source.count(spans)
            labelled = None
            if labels is not None and self.labels_source is not None:
                labelled = self.reference_source.count_labelled(labels.key, self.labels_source, labels.column, spans)
            elif roles.target is not None:
                labelled = self.reference_source.count_present(roles.target, spans)
        except SourceError:  # the read that follows says what is wrong
            return None
        settings = monitor_settings(self.monitor.model_dump(mode="json"))
        where = (safe_url(self.source.url), self.source.relation, self.reference_source.relation)
        return reference_key(settings, roles, key, seed, where, rows, labelled)

    def why_empty(self, window: Window) -> str:
        """Why a window has no rows: a skip reason naming when the log's rows are, or DataError when they lie
        where no window of this monitor can be (timestamps decoded in the wrong unit or shape)."""
        span_of = self.source.time_span()
        if not span_of.rows or span_of.first is None or span_of.last is None:
            return f"{self.source.label} has no rows"
        shown = f"{span(span_of.first, span_of.last)} ({span_of.rows:,} rows)"
        implausible = span_of.last < datetime(1971, 1, 1, tzinfo=UTC) or span_of.first > window.end + timedelta(
            days=365
        )
        if implausible:
            kind = self.source.timestamp_encoding().kind.replace("_", " ")
            raise DataError(
                f"no rows in the window although {self.source.label} is not empty: timestamp_column "
                f'"{self.monitor.timestamp_column}" read as {kind} puts its rows at {shown}; check the unit or '
                "the format of the timestamps"
            )
        return f"{self.source.label} holds rows from {shown}"


def _check_columns(
    read: list[str],
    roles: ColumnRoles,
    monitor: MonitorConfig,
    available: list[str],
    label: str,
    *,
    include_timestamp: bool,
) -> None:
    present = set(available)
    key = monitor.labels.key if monitor.labels else None
    wanted = [(column, "labels.key" if column == key else roles.role_of(column)) for column in read]
    if include_timestamp:
        wanted.insert(0, (monitor.timestamp_column, "timestamp_column"))
    for column, role in wanted:
        if column not in present:
            raise DataError(
                f'column "{column}" ({role}) is not in {label} (it has: {shown_columns(available)}); '
                "fix the monitor's config or the table"
            )
