"""`drifthound init`: read a bounded sample of a table (or query) and write a monitor for it.

Reads: the column names and a few hundred first rows (to find the timestamp column), the log's time span and the
rows of its last seven days (counts), one uniform sample of those days (roles), and the sample `config check`
reads to measure cycles. Never the whole table. The decisions are in monitor/proposal/."""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import TextIO

import pandas as pd
from sqlalchemy.engine import make_url

from monitor import redaction
from monitor.columns.inference import ColumnReading, infer_roles
from monitor.config import MonitorConfig, parse_config
from monitor.config.interpolate import interpolate
from monitor.config.schema import select_only
from monitor.errors import ConfigError, DataError, DriftHoundError, UsageError
from monitor.proposal.cadence import Cadence, cadence
from monitor.proposal.outputs import ModelColumns, find_model_columns
from monitor.proposal.render import Features, Proposal, render
from monitor.proposal.timestamp import find_timestamp
from monitor.sources import sampling
from monitor.sources.reader import Source, TimeSpan, shown_columns
from monitor.times import iso, span, utc_now
from monitor.windows import Schedule, Window, latest_complete_window

# Rows read to find the timestamp column, and the sample roles are inferred from.
HEAD_ROWS = 500
SAMPLE_ROWS = 5_000
# The rate (rows an hour) is measured over the log's latest days.
RATE_SPAN = timedelta(days=7)
# A categorical column with this many values at most is worth cutting windows by (segments).
SEGMENT_VALUES = 10
_SECRET_QUERY_KEYS = ("password", "secret", "token", "key")


def init(
    source_url: str,
    *,
    table: str | None,
    query: str | None,
    timestamp: str | None,
    output: str | None,
    force: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    target = Path(output) if output else None
    if target is not None and target.exists() and not force:
        raise UsageError(f"{target} exists; init never overwrites a file: write to another name, or add --force")
    if query is not None:
        try:
            query = select_only(query)
        except ValueError as error:
            raise UsageError(f"--query: {error}") from None
    url = _resolved(source_url)
    name = _monitor_name(table, query)
    proposal = _propose(url, source_url, name, table, query, timestamp, target)
    text = render(proposal, iso(utc_now().replace(microsecond=0)))
    _validate(text, proposal, target)
    if target is None:
        out.write(text)
        out.flush()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    counted = len(proposal.features.columns)
    print(
        f'{"wrote " + str(target) if target else "written"}: monitor "{name}", timestamp_column '
        f'"{proposal.timestamp}", {counted} features, window {proposal.cadence.window_text} (about '
        f"{proposal.cadence.rows:,} rows), reference = {proposal.reference}",
        file=err,
    )
    if proposal.password_env:
        print(f"the source's password is not written: export {proposal.password_env} before running", file=err)
    print(f"next: drifthound config check -c {target or 'FILE'}", file=err)
    return 0


def _propose(
    url: str,
    given_url: str,
    name: str,
    table: str | None,
    query: str | None,
    timestamp: str | None,
    target: Path | None,
) -> Proposal:
    probe = Source(url, table=table, query=query)
    columns = probe.columns()
    column, why = _timestamp(probe, columns, timestamp)
    source = Source(url, table=table, query=query, timestamp_column=column)
    times = source.time_span()
    if not times.rows or times.first is None or times.last is None:
        raise DataError(f"{source.label} has no rows with a {column}: nothing to learn a monitor from")
    recent = Window(max(times.first, times.last - RATE_SPAN), times.last + timedelta(seconds=1))
    rows_recent = source.count(recent)
    rate = rows_recent / max((recent.end - recent.start) / timedelta(hours=1), 1.0)
    seed = sampling.seed_for(name, recent.start, recent.end)
    sample = source.read(columns, recent, max_rows=SAMPLE_ROWS, seed=seed).frame
    key, _ = source.primary_key()
    outputs = find_model_columns(sample, exclude={column, *key})
    features, readings = _features(sample, name, table, query, column, outputs, key)
    pace = cadence(rate)
    url_written, password_env = _written_url(given_url, url, name, target)
    reference, reference_why = _reference(url, name, table, query, column, outputs, features, pace, times)
    watched = [*features.columns] + [c for c in (outputs.prediction, outputs.prediction_label) if c is not None]
    return Proposal(
        name=name,
        source_url=url_written,
        password_env=password_env,
        table=table,
        query=query,
        timestamp=column,
        timestamp_reason=why,
        log_summary=(
            f"{times.rows:,} rows, {span(times.first, times.last)}; about {rate:,.0f} rows an hour over {_days(recent)}"
        ),
        sample_rows=len(sample),
        readings=readings,
        features=features,
        outputs=outputs,
        cadence=pace,
        reference=reference,
        reference_why=reference_why,
        missing_seen=float(sample[watched].isna().any(axis=1).mean()) if len(sample) and watched else 0.0,
        segments_hint=next(
            (c for c in features.categorical if 2 <= sample[c].nunique() <= SEGMENT_VALUES),
            None,
        ),
    )


def _timestamp(probe: Source, columns: list[str], given: str | None) -> tuple[str, str]:
    shown = shown_columns(columns)
    if given is not None:
        if given not in columns:
            raise UsageError(f'--timestamp "{given}" is not a column of {probe.label} (it has: {shown})')
        return given, "given with --timestamp"
    found = find_timestamp(probe.sample(HEAD_ROWS), probe.dialect)
    if found is None:
        raise UsageError(
            f"no timestamp column found in {probe.label} (columns: {shown}): windows are cut by the time of each "
            "row; name the column holding it with --timestamp COL (a timestamp, ISO 8601 text or epoch numbers)"
        )
    return found.column, found.reason


def _features(
    sample: pd.DataFrame,
    name: str,
    table: str | None,
    query: str | None,
    timestamp: str,
    outputs: ModelColumns,
    key: list[str],
) -> tuple[Features, tuple[ColumnReading, ...]]:
    """Each column's role, inferred as `config check` infers it, with the model's columns set aside."""
    unused = [c for c in outputs.set_aside if c in sample.columns]
    monitor = _monitor(
        name,
        table,
        query,
        timestamp,
        outputs,
        Features(),
        '{ last = "7d" }',
        every="1h",
        window="1h",
    )
    roles, readings = infer_roles(monitor, sample.drop(columns=unused), exclude=key)
    readings = tuple(
        ColumnReading(r.column, r.role, outputs.reasons.get(r.column, r.reason), r.judged) for r in readings
    ) + tuple(
        ColumnReading(c, "not a feature", "looks like the class the model decided (see above)", False) for c in unused
    )
    features = Features(
        roles.numerical, roles.categorical, roles.text, tuple(embedding for embedding, _ in roles.embeddings)
    )
    return features, readings


def _reference(
    url: str,
    name: str,
    table: str | None,
    query: str | None,
    timestamp: str,
    outputs: ModelColumns,
    features: Features,
    pace: Cadence,
    times: TimeSpan,
) -> tuple[str, str]:
    """The pooled reference, or a seasonal one when the sample shows a cycle the pooled one would page on."""
    from monitor.evaluation.cycle_check import read_cycles
    from monitor.sources.inputs import MonitorInputs

    pooled = pace.reference
    if pace.window > timedelta(days=1):
        return pooled, "pooled: a window of a week holds the daily and weekly cycles already"
    monitor = _monitor(name, table, query, timestamp, outputs, features, pooled, schedule=pace.schedule, pace=pace)
    assert times.last is not None
    window = latest_complete_window(Schedule(pace.schedule), pace.window, times.last)
    reading = read_cycles(monitor, MonitorInputs(monitor, url), window)
    if reading is None or (reading.daily is None and reading.weekly is None):
        return pooled, (
            "pooled: the log is too short (or too thin) to tell whether traffic has a daily or weekly cycle; run "
            "`drifthound config check` once it holds a week: it says when a seasonal reference is needed"
        )
    fix = reading.fix
    if fix is None:
        return pooled, (
            "pooled (all hours alike): on a sample of the reference, no hour of the day or day of the week would "
            "breach the dataset drift rule more than ordinary traffic does"
        )
    return fix.reference, (
        f"seasonal, not pooled = {pooled}: measured on a sample of the reference, {fix.why}. Each window is "
        f"compared with the same {'hours' if fix.seasonality != 'day_of_week' else 'weekday'} of other days"
    )


def _monitor(
    name: str,
    table: str | None,
    query: str | None,
    timestamp: str,
    outputs: ModelColumns,
    features: Features,
    reference: str,
    *,
    schedule: str | None = None,
    every: str | None = None,
    window: str | None = None,
    pace: Cadence | None = None,
) -> MonitorConfig:
    """The proposal as the daemon would load it (for inference and the cycle measurement)."""
    import tomllib

    data = {
        "name": name,
        "source": "main",
        "timestamp_column": timestamp,
        "reference": tomllib.loads(f"r = {reference}")["r"],
        "window": window or (pace.window_text if pace else "1h"),
        "prediction_column": outputs.prediction,
        "prediction_label_column": outputs.prediction_label,
        "target_column": outputs.target,
        "task": outputs.task,
        "rules": [{"name": "dataset drift", "metric": "drift.share", "above": 0.3}],
        **({"table": table} if table is not None else {"query": query}),
        **({"schedule": schedule} if schedule else {"every": every or "1h"}),
        **({"min_rows": pace.min_rows} if pace else {}),
    }
    if features != Features():
        data |= {
            "numerical_features": features.numerical,
            "categorical_features": features.categorical,
            "text_features": features.text,
            "embedding_features": features.embeddings,
        }
    return MonitorConfig.model_validate({k: v for k, v in data.items() if v is not None})


def _validate(text: str, proposal: Proposal, target: Path | None) -> None:
    """What init writes, `config check` accepts: a proposal that does not load is a bug, said as one."""
    environ = dict(os.environ)
    if proposal.password_env:
        environ[proposal.password_env] = "checked-by-init"
    try:
        folder = target.parent if target else Path.cwd()
        parse_config(text, where="the proposed config", base_dir=folder, environ=environ)
    except ConfigError as error:
        raise DriftHoundError(f"init proposed a config that does not load ({error}); please report it") from None


def _resolved(url: str) -> str:
    """The URL with `${ENV}` replaced (its values registered as secrets), its password registered too."""
    resolved = interpolate({"url": url}, where="--source")["url"]
    redaction.register_url_password(resolved)
    return resolved


def _written_url(given: str, url: str, name: str, target: Path | None) -> tuple[str, str | None]:
    """The URL as the file holds it: `${VAR}` as given; a password replaced by ${<NAME>_DB_PASSWORD}; a relative
    SQLite path made absolute, or relative to the written file's folder (where config paths are resolved)."""
    if "${" in given:
        return given, None
    parsed = make_url(url)
    if parsed.get_backend_name() in ("sqlite", "duckdb") and parsed.database and not parsed.database.startswith(":"):
        path = Path(parsed.database).resolve()
        folder = (target.parent if target else Path.cwd()).resolve()
        shown = str(path.relative_to(folder)) if target is not None and path.is_relative_to(folder) else str(path)
        return parsed.set(database=shown).render_as_string(hide_password=False), None
    env = f"{re.sub(r'[^A-Z0-9]+', '_', name.upper()).strip('_')}_DB_PASSWORD"
    secrets = {key for key in parsed.query if any(word in key.lower() for word in _SECRET_QUERY_KEYS)}
    if parsed.password is None and not secrets:
        return url, None
    placeholder = "DRIFTHOUNDPLACEHOLDER"
    if parsed.password is not None:
        parsed = parsed.set(password=placeholder)
    if secrets:
        parsed = parsed.update_query_dict({key: f"{placeholder}{key}" for key in secrets})
    text = parsed.render_as_string(hide_password=False)
    for key in secrets:
        text = text.replace(f"{placeholder}{key}", f"${{{env}_{key.upper()}}}")
    return text.replace(placeholder, f"${{{env}}}"), env


def _monitor_name(table: str | None, query: str | None) -> str:
    """The table's name; for a query, the table it reads, or the files a table function reads (Parquet)."""
    if table is not None:
        base = table.rpartition(".")[2]
    else:
        found = re.search(r"\bfrom\s+([A-Za-z_][\w.]*)\s*(\()?", query or "", re.IGNORECASE)
        base = found.group(1).rpartition(".")[2] if found else ""
        if found and found.group(2):
            path = re.search(r"'([^']+)'", (query or "")[found.end() :])
            files = Path(path.group(1)) if path else Path()
            base = next((p for p in (files.stem, files.parent.name) if re.sub(r"[*?\[\]]", "", p)), "")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.")
    return name or "monitor"


def _days(window: Window) -> str:
    days = (window.end - window.start) / timedelta(days=1)
    return f"the last {days:.0f} days" if days >= 1.5 else f"the last {days * 24:.0f} hours"
