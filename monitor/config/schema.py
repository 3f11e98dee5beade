"""The configuration as frozen, typed objects (validated once, at load)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from croniter import croniter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from monitor import metric_names
from monitor.drift.methods import ALL_METHODS
from monitor.times import format_duration, parse_duration, parse_time


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)  # type: ignore[arg-type]


def _instant(value: object) -> datetime:
    return parse_time(value)  # type: ignore[arg-type]


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Instant = Annotated[datetime, BeforeValidator(_instant)]

# Monitor names become folder names and URL parts: keep them plain.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _fires(cron: str) -> bool:
    """Whether a (valid) cron expression has a tick at all within a leap cycle."""
    from croniter import CroniterBadDateError

    try:
        croniter(cron, datetime(2024, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:
        return False
    return True


def is_web_url(value: str) -> bool:
    """An http(s) URL with a host, and nothing that would break a Slack link (<url|text>) or a header."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c in value for c in "|<> \t\r\n")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenConfig(Strict):
    """A named Bearer token of [service.tokens]: viewers read, operators also silence."""

    token: str
    role: Literal["viewer", "operator"]

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < 16:
            raise ValueError("shorter than 16 characters, easy to guess; make one with `openssl rand -hex 24`")
        return value


# The name a silence records when it was set with the single http_token.
HTTP_TOKEN_NAME = "http_token"


class ServiceConfig(Strict):
    store_url: str = "sqlite:///drifthound.db"
    reports_dir: Path = Path("reports")
    report_retention: Duration = timedelta(days=30)
    http_listen: str = "127.0.0.1:9308"
    http_token: str | None = None
    log_format: Literal["json", "console"] | None = None
    public_url: str | None = None
    # After downtime, windows missed within this horizon are evaluated (at most 100 per monitor).
    catch_up: Duration = timedelta(hours=24)
    # Evaluation processes; default: one per CPU core.
    workers: int | None = Field(default=None, ge=1, le=64)
    # On SIGTERM, runs get this long to finish before they are abandoned (their claims released).
    shutdown_grace: Duration = timedelta(seconds=30)
    # Both or neither: the listener then speaks HTTPS only.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tokens: dict[str, TokenConfig] = Field(default_factory=dict)
    # Fitted references kept across processes (README.md): default beside a SQLite store's file, else beside
    # reports_dir; reference_cache_mb = 0 keeps none.
    reference_cache_dir: Path | None = None
    reference_cache_mb: int = Field(default=2048, ge=0)

    @field_validator("http_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f'{value!r} is not host:port; e.g. "127.0.0.1:9308"')
        return value

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _retention_covers_catch_up(self) -> ServiceConfig:
        if self.report_retention <= self.catch_up:
            raise ValueError(
                f"report_retention ({format_duration(self.report_retention)}) must be longer than catch_up "
                f"({format_duration(self.catch_up)}): windows purged within the catch-up horizon would be "
                "evaluated again; lengthen report_retention or shorten catch_up"
            )
        return self

    @model_validator(mode="after")
    def _tls_pair(self) -> ServiceConfig:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            given, missing = (
                ("tls_cert_file", "tls_key_file") if self.tls_key_file is None else ("tls_key_file", "tls_cert_file")
            )
            raise ValueError(f"{given} is set but {missing} is not: set both for HTTPS, or neither for plain HTTP")
        return self

    @model_validator(mode="after")
    def _distinct_tokens(self) -> ServiceConfig:
        seen: dict[str, str] = {HTTP_TOKEN_NAME: self.http_token} if self.http_token else {}
        for name, entry in self.tokens.items():
            if not _NAME.match(name) or name == HTTP_TOKEN_NAME:
                raise ValueError(
                    f"tokens: {name!r} is not a usable name (letters, digits, '.', '_', '-'; not {HTTP_TOKEN_NAME!r})"
                )
            other = next((known for known, token in seen.items() if token == entry.token), None)
            if other is not None:
                raise ValueError(f"tokens.{name}: the same token as {other}; each name needs its own token")
            seen[name] = entry.token
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert_file is not None

    @property
    def base_url(self) -> str:
        return self.public_url or f"{'https' if self.tls else 'http'}://{self.http_listen}"


def select_only(query: str) -> str:
    """The query as a monitor reads it (one SELECT statement); ValueError saying what is wrong."""
    text = query.strip().rstrip(";").strip()
    if not re.match(r"^(select|with)\b", text, re.IGNORECASE):
        raise ValueError("query must be a SELECT (or WITH ... SELECT) statement")
    if ";" in text:
        raise ValueError("query must be a single statement (no ';' inside)")
    return text


class SourceConfig(Strict):
    url: str


# A rolling reference is refitted once this share of its rows changed since it was fitted.
DEFAULT_REFIT = 0.1

_SEASON_WORDS = {
    "hour_of_day": "the same hours on each day",
    "hour_of_week": "the same hours on the same weekday",
    "day_of_week": "the same weekday",
}


class ReferenceConfig(Strict):
    """One of three forms: {last, offset}, {start, end} or {table}. With `last`, `seasonality` keeps only the
    parts of those days at the window's clock time (the same hours each day, or each week)."""

    last: Duration | None = None
    offset: Duration | None = None
    start: Instant | None = None
    end: Instant | None = None
    table: str | None = None
    seasonality: Literal["hour_of_day", "hour_of_week", "day_of_week"] | None = None
    # With `last`: refit once this share of the reference's rows changed since it was fitted (0: every window).
    refit: float | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ReferenceConfig:
        forms = [self.last is not None, self.start is not None or self.end is not None, self.table is not None]
        if sum(forms) != 1:
            raise ValueError(
                'use exactly one form: { last = "7d", offset = "1d" }, '
                '{ start = TIME, end = TIME } or { table = "reference" }'
            )
        if self.offset is not None and self.last is None:
            raise ValueError('offset goes with last, e.g. { last = "7d", offset = "1d" }')
        if (self.start is None) != (self.end is None):
            raise ValueError("a fixed reference needs both start and end")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("the reference's start must be before its end")
        self._check_seasonality()
        self._check_refit()
        return self

    def _check_refit(self) -> None:
        if self.refit is None:
            return
        if self.last is None:
            raise ValueError(
                'refit goes with last (a rolling reference), e.g. { last = "7d", refit = 0.1 }: a fixed or '
                "table reference is read and fitted once"
            )
        if not 0 <= self.refit <= 1:
            raise ValueError(
                f"refit = {self.refit} is a share of the reference's rows, from 0 (refit every window) to 1; "
                "say 0.1 (refit once a tenth of its rows changed)"
            )

    @property
    def refit_share(self) -> float:
        """The share of a rolling reference's rows that must change before it is refitted."""
        return DEFAULT_REFIT if self.refit is None else self.refit

    def _check_seasonality(self) -> None:
        if self.seasonality is None:
            return
        if self.last is None:
            raise ValueError(f'seasonality goes with last, e.g. {{ last = "7d", seasonality = "{self.seasonality}" }}')
        period = timedelta(days=1 if self.seasonality == "hour_of_day" else 7)
        if self.last < period:
            suggested = "7d" if self.seasonality == "hour_of_day" else "28d"
            raise ValueError(
                f'seasonality = "{self.seasonality}" compares with {_SEASON_WORDS[self.seasonality]}: '
                f'last = "{format_duration(self.last)}" holds none; use at least "{period.days}d" '
                f'(say last = "{suggested}")'
            )

    def check_window(self, window: timedelta) -> None:
        """Whether a window of this size has a seasonal reference: it must be shorter than the cycle."""
        if self.seasonality == "day_of_week" and window > timedelta(days=1):
            raise ValueError(
                f'reference seasonality = "day_of_week" is for windows of a day at most (window = '
                f'"{format_duration(window)}"); use "hour_of_week" or drop seasonality'
            )
        if self.seasonality in ("hour_of_day", "hour_of_week"):
            period = timedelta(days=1 if self.seasonality == "hour_of_day" else 7)
            if window >= period:
                raise ValueError(
                    f'reference seasonality = "{self.seasonality}" needs a window shorter than '
                    f'{period.days}d (window = "{format_duration(window)}"): a window that long holds '
                    "the whole cycle already; drop seasonality"
                )

    @property
    def kind(self) -> str:
        if self.last is not None:
            return "last"
        return "fixed" if self.start is not None else "table"


class RuleConfig(Strict):
    name: str
    metric: str
    column: str | None = None
    segment: str | None = None  # "region=north": that segment's figure; "*": one alert per segment
    above: float | None = None
    below: float | None = None
    outside_reference: float | None = Field(default=None, gt=0)
    for_runs: int = Field(default=1, ge=1, le=1000)
    resolve_after: int = Field(default=1, ge=1, le=1000)
    severity: Literal["critical", "warning", "info"] = "warning"
    channels: tuple[str, ...] = ()
    runbook_url: str | None = None  # what to do when it fires; carried into every notification

    @field_validator("runbook_url")
    @classmethod
    def _runbook(cls, value: str | None) -> str | None:
        if value is not None and not is_web_url(value):
            raise ValueError(f'{value!r} is not a web address; write "https://wiki.example/runbooks/drift"')
        return value

    @field_validator("segment")
    @classmethod
    def _segment(cls, value: str | None) -> str | None:
        if value is not None and value != "*" and "=" not in value:
            raise ValueError(f'{value!r} is not a segment; write "column=value" (e.g. "region=north") or "*"')
        return value

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "monitor failing":
            raise ValueError(
                '"monitor failing" is the built-in rule on monitor.failed_runs; name yours differently '
                "(tune the built-in one in [alerting] with failed_runs_after)"
            )
        return value

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if not metric_names.is_known(value):
            known = ", ".join(sorted(metric_names.ALL_METRICS))
            raise ValueError(f"unknown metric {value!r}; known metrics: {known}")
        return value

    @model_validator(mode="after")
    def _threshold(self) -> RuleConfig:
        if self.outside_reference is not None and (self.above is not None or self.below is not None):
            raise ValueError("use above/below or outside_reference, not both")
        if self.outside_reference is not None and self.metric not in metric_names.REFERENCE_RELATIVE:
            known = ", ".join(sorted(metric_names.REFERENCE_RELATIVE))
            raise ValueError(
                f"outside_reference works on {known}; {self.metric} has calibrated thresholds of its "
                "own (or use above/below)"
            )
        if self.outside_reference is None and self.above is None and self.below is None:
            raise ValueError("a rule needs a threshold: above = ..., below = ... or outside_reference = 3.0")
        if self.above is not None and self.below is not None and self.below >= self.above:
            raise ValueError("with both, below must be less than above (it fires outside [below, above])")
        per_column = self.metric in metric_names.COLUMN_METRICS
        dataset = self.metric in metric_names.DATASET_METRICS or self.metric in metric_names.QUALITY_METRICS
        if self.column is None and per_column and not dataset:
            raise ValueError(f'{self.metric} is a per-column metric; add column = "name" (or "*" for each column)')
        if self.column is not None and not per_column:
            raise ValueError(f"{self.metric} is a dataset metric; remove column")
        return self


def _drift_method(value: str | None) -> str | None:
    if value is not None and value not in ALL_METHODS:
        known = ", ".join(sorted(ALL_METHODS, key=str.lower))
        raise ValueError(f"unknown drift method {value!r}; use one of: {known}")
    return value


class ColumnDriftConfig(Strict):
    """Per-column overrides of a monitor's drift settings."""

    drift_method: str | None = None
    drift_threshold: float | None = Field(default=None, gt=0)
    drift_min_effect: float | None = Field(default=None, ge=0)

    @field_validator("drift_method")
    @classmethod
    def _known_method(cls, value: str | None) -> str | None:
        return _drift_method(value)


class LabelsConfig(Strict):
    """Ground truth that arrives later, in its own table: joined to predictions by `key`."""

    table: str
    key: str
    column: str
    delay: Duration = timedelta(0)


class MonitorConfig(Strict):
    name: str
    source: str
    table: str | None = None
    query: str | None = None
    timestamp_column: str
    numerical_features: tuple[str, ...] | None = None
    categorical_features: tuple[str, ...] | None = None
    # Free text: descriptors of each text and content drift (the words that changed).
    text_features: tuple[str, ...] | None = None
    # A column holding a vector, or { name = ["e0", "e1", ...] }: a vector spread over columns, named.
    embedding_features: tuple[str, ...] | dict[str, tuple[str, ...]] | None = None
    prediction_column: str | None = None
    # The class the model decided (its own threshold, not 0.5); multiclass: the decided class.
    prediction_label_column: str | None = None
    # Multiclass: each class -> the column of its probability.
    prediction_columns: dict[str, str] | None = None
    target_column: str | None = None
    labels: LabelsConfig | None = None
    task: Literal["binary_classification", "multiclass_classification", "regression"] | None = None
    # Model quality estimated without labels; None: on when task is set (and the reference has labels).
    estimate_performance: bool | None = None
    # Whether the columns still move together: PCA reconstruction error, a domain classifier, both, or off.
    multivariate_drift: Literal["reconstruction", "classifier", "both", "off"] = "reconstruction"
    # The smallest rise that counts: the reconstruction error's, as a share of its no-drift mean; the
    # classifier's AUC above 0.5.
    multivariate_min_effect: float = Field(default=0.02, ge=0)
    # The same figures for each value of these columns (the largest 20 by rows; the rest as one "(other)").
    segments: tuple[str, ...] = ()
    # Fairness figures across the groups of these columns (classification).
    protected_attributes: tuple[str, ...] = ()
    # The decided class that is the favourable outcome (an approval), for fairness figures.
    favourable_label: int | str = 1
    schedule: str | None = None
    every: Duration | None = None
    window: Duration
    reference: ReferenceConfig
    max_rows: int = Field(default=200_000, ge=100)
    min_rows: int = Field(default=200, ge=1)
    rules: tuple[RuleConfig, ...] = ()
    # Drift detection: thresholds calibrated on the reference by default (see README, "Drift detection").
    drift_method: str = "calibrated"
    drift_threshold: float | None = Field(default=None, gt=0)
    drift_false_alarm_rate: float = Field(default=0.005, gt=0, lt=0.5)
    drift_min_effect: float = Field(default=0.05, ge=0)
    drift_min_effect_categorical: float = Field(default=0.03, ge=0, le=1)
    columns: dict[str, ColumnDriftConfig] = Field(default_factory=dict)

    @field_validator("drift_method")
    @classmethod
    def _known_method(cls, value: str | None) -> str | None:
        return _drift_method(value)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"{value!r} is not a usable monitor name; use letters, digits, '.', '_' and '-' "
                "(it names folders and URLs)"
            )
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and (len(value.split()) != 5 or not croniter.is_valid(value)):
            raise ValueError(f'{value!r} is not a cron expression of five fields (UTC), e.g. "*/15 * * * *"')
        if value is not None and not _fires(value):
            raise ValueError(f"{value!r} matches no date (such as February 30th); it would never run")
        return value

    @field_validator("query")
    @classmethod
    def _select_only(cls, value: str | None) -> str | None:
        return None if value is None else select_only(value)

    @model_validator(mode="after")
    def _coherent(self) -> MonitorConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError('set exactly one of table = "..." or query = "SELECT ..."')
        if (self.schedule is None) == (self.every is None):
            raise ValueError('set exactly one of schedule = "*/15 * * * *" or every = "15m"')
        if self.target_column is not None and self.labels is not None:
            raise ValueError(
                "use target_column (labels in the same table) or labels = { ... } (another table), not both"
            )
        if (self.target_column is not None or self.labels is not None) and self.task is None:
            raise ValueError(
                'target_column and labels need task = "binary_classification", "multiclass_classification" '
                'or "regression"'
            )
        if self.task is not None and self.target_column is None and self.labels is None:
            raise ValueError(
                "task needs target_column, or labels = { table, key, column, delay } (the ground truth "
                "to compare predictions with)"
            )
        self._check_prediction_columns()
        self.reference.check_window(self.window)
        if self.min_rows > self.max_rows:
            raise ValueError(f"min_rows ({self.min_rows}) is larger than max_rows ({self.max_rows})")
        numerical = self.numerical_features or ()
        categorical = self.categorical_features or ()
        self._check_feature_lists()
        if self.drift_method == "calibrated" and self.drift_threshold is not None:
            raise ValueError(
                "drift_threshold goes with a fixed drift_method (calibrated thresholds are learnt); "
                "tune drift_false_alarm_rate instead"
            )
        if self.features_listed:
            known = {
                *numerical,
                *categorical,
                self.prediction_column,
                self.prediction_label_column,
                self.target_column,
            } - {None}
            unknown = sorted(set(self.columns) - known)
            if unknown:
                raise ValueError(f"columns.{unknown[0]}: not a feature, prediction or target of this monitor")
        self._check_segments()
        names = [rule.name for rule in self.rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"two rules are named {repeated[0]!r}; rule names must be unique per monitor")
        return self

    def _check_feature_lists(self) -> None:
        """Each feature in one list once, in no other list, and none of them a special column."""
        embedded = [c for _, columns in self.embeddings for c in columns]
        lists = {
            "numerical_features": tuple(self.numerical_features or ()),
            "categorical_features": tuple(self.categorical_features or ()),
            "text_features": tuple(self.text_features or ()),
            "embedding_features": tuple(embedded),
        }
        for name, listed in lists.items():
            duplicates = sorted({c for c in listed if listed.count(c) > 1})
            if duplicates:
                raise ValueError(f"{name} lists {duplicates[0]!r} twice")
        if isinstance(self.embedding_features, dict):
            for name, columns in self.embedding_features.items():
                if len(columns) < 2:
                    raise ValueError(
                        f"embedding_features.{name}: a vector spread over columns needs at least two columns; "
                        f'a column holding the vector itself is listed as embedding_features = ["{name}"]'
                    )
        seen: dict[str, str] = {}
        for name, listed in lists.items():
            for column in listed:
                if column in seen and seen[column] != name:
                    kinds = f"{seen[column].removesuffix('_features')} and {name.removesuffix('_features')}"
                    raise ValueError(f"{column!r} is listed as both {kinds}; keep one")
                seen[column] = name
        if isinstance(self.embedding_features, dict):
            for name in self.embedding_features:
                if name in seen:
                    raise ValueError(
                        f"embedding_features.{name}: the name is also a listed column; name the embedding "
                        "differently (its figures are stored under the name)"
                    )
        special = {
            **({self.labels.column: "labels.column", self.labels.key: "labels.key"} if self.labels else {}),
            self.timestamp_column: "timestamp_column",
            self.prediction_column: "prediction_column",
            self.prediction_label_column: "prediction_label_column",
            self.target_column: "target_column",
            **{column: f"prediction_columns.{name}" for name, column in (self.prediction_columns or {}).items()},
        }
        for column in seen:
            if column in special:
                raise ValueError(f"{column!r} is the {special[column]}; it cannot also be a feature")

    def _check_segments(self) -> None:
        special = {self.timestamp_column, self.prediction_column, self.prediction_label_column, self.target}
        for name, listed in (("segments", self.segments), ("protected_attributes", self.protected_attributes)):
            for column in listed:
                if column in special:
                    raise ValueError(f"{name} lists {column!r}, which is the timestamp, prediction or target column")
            twice = sorted({c for c in listed if listed.count(c) > 1})
            if twice:
                raise ValueError(f"{name} lists {twice[0]!r} twice")
        if self.protected_attributes and self.task not in ("binary_classification", "multiclass_classification"):
            raise ValueError(
                "protected_attributes need a classification task: fairness compares the decided classes of groups"
            )
        for index, rule in enumerate(self.rules):
            if rule.segment is None or rule.segment == "*":
                if rule.segment == "*" and not self.segments:
                    raise ValueError(f'rules[{index}]: segment = "*" needs segments = ["column", ...]')
                continue
            column = rule.segment.partition("=")[0]
            if column not in self.segments:
                raise ValueError(
                    f"rules[{index}].segment: {column!r} is not one of this monitor's segments "
                    f"({', '.join(self.segments) or 'none'}); add it to segments"
                )

    def _check_prediction_columns(self) -> None:
        task = self.task
        if task in ("binary_classification", "regression") and self.prediction_column is None:
            raise ValueError(f"{task} needs prediction_column (the score, probability or predicted value)")
        if task == "multiclass_classification" and self.prediction_column is not None:
            raise ValueError(
                "for multiclass_classification, the decided class is prediction_label_column and the "
                'probabilities are prediction_columns = { class = "column", ... }; remove prediction_column'
            )
        if task == "multiclass_classification" and self.prediction_label_column is None:
            raise ValueError(
                "multiclass_classification needs prediction_label_column (the class the model decided), and "
                'optionally prediction_columns = { class = "probability column", ... }'
            )
        if self.prediction_label_column is not None and task not in (
            "binary_classification",
            "multiclass_classification",
        ):
            raise ValueError("prediction_label_column goes with a classification task")
        if self.prediction_columns is not None:
            if task != "multiclass_classification":
                raise ValueError(
                    'prediction_columns goes with task = "multiclass_classification"; a binary model\'s score '
                    "is prediction_column"
                )
            if len(self.prediction_columns) < 2:
                raise ValueError("prediction_columns needs a probability column for each of at least two classes")
            columns = list(self.prediction_columns.values())
            twice = sorted({c for c in columns if columns.count(c) > 1})
            if twice:
                raise ValueError(f"prediction_columns names column {twice[0]!r} for two classes")
        if self.estimate_performance and task is None:
            raise ValueError("estimate_performance needs a task (and the labels of the reference to learn from)")

    @property
    def estimates(self) -> bool:
        """Whether runs estimate model quality (when the reference has labels to learn from)."""
        return self.task is not None and self.estimate_performance is not False

    @property
    def target(self) -> str | None:
        """The ground truth's column name in the frames DriftHound reads (same table, or joined labels)."""
        return self.target_column or (self.labels.column if self.labels else None)

    @property
    def features_listed(self) -> bool:
        lists = (self.numerical_features, self.categorical_features, self.text_features, self.embedding_features)
        return any(listed is not None for listed in lists)

    @property
    def embeddings(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(name, its columns): a column holding a vector is its own name and only column."""
        listed = self.embedding_features
        if isinstance(listed, dict):
            return tuple((name, tuple(columns)) for name, columns in listed.items())
        return tuple((column, (column,)) for column in listed or ())


class SlackChannel(Strict):
    type: Literal["slack"]
    webhook_url: str
    timeout: Duration = timedelta(seconds=10)


class WebhookChannel(Strict):
    type: Literal["webhook"]
    url: str
    # Any string signs X-DriftHound-Signature; a Standard Webhooks secret ("whsec_" + base64) also signs the
    # webhook-id/-timestamp/-signature headers that maintained libraries verify.
    secret: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = timedelta(seconds=10)

    @field_validator("secret")
    @classmethod
    def _standard_form(cls, value: str | None) -> str | None:
        from alerts.signing import STANDARD_PREFIX, standard_key

        if value is not None and value.startswith(STANDARD_PREFIX) and standard_key(value) is None:
            raise ValueError(
                "a secret starting with whsec_ must be base64 after the prefix (Standard Webhooks); make one "
                "with: python3 -c \"import base64,os; print('whsec_' + base64.b64encode(os.urandom(24)).decode())\""
            )
        return value


class LogChannel(Strict):
    type: Literal["log"]


class AlertmanagerChannel(Strict):
    type: Literal["alertmanager"]
    url: str
    timeout: Duration = timedelta(seconds=10)


Channel = Annotated[SlackChannel | WebhookChannel | LogChannel | AlertmanagerChannel, Field(discriminator="type")]
CHANNEL_TYPES = ("slack", "webhook", "log", "alertmanager")


class AlertingConfig(Strict):
    repeat_interval: Duration = timedelta(hours=4)
    give_up_after: Duration = timedelta(hours=24)
    # The built-in "monitor failing" rule: fires after this many consecutive failed runs (0: off).
    failed_runs_after: int = Field(default=2, ge=0, le=1000)
    failed_runs_severity: Literal["critical", "warning", "info"] = "critical"
    # Default: the channels of the monitor's own rules, or every channel when it has none.
    failed_runs_channels: tuple[str, ...] | None = None


class Config(Strict):
    service: ServiceConfig = ServiceConfig()
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    monitors: tuple[MonitorConfig, ...] = ()
    channels: dict[str, Channel] = Field(default_factory=dict)
    alerting: AlertingConfig = AlertingConfig()

    def monitor(self, name: str) -> MonitorConfig:
        for monitor in self.monitors:
            if monitor.name == name:
                return monitor
        known = ", ".join(m.name for m in self.monitors) or "none"
        raise KeyError(f"no monitor named {name!r} (configured: {known})")
