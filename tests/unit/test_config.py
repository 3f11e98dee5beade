"""config.toml: what is accepted, and the one-line error for each kind of mistake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import redaction
from monitor.config import load_config, parse_config
from monitor.errors import ConfigError

VALID = """
[service]
store_url = "sqlite:///drifthound.db"
reports_dir = "reports"
http_listen = "127.0.0.1:9308"

[sources.main]
url = "sqlite:///demo.db"

[[monitors]]
name = "credit-scoring"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = ["age", "income"]
categorical_features = ["region"]
prediction_column = "score"
target_column = "label"
task = "binary_classification"
schedule = "*/15 * * * *"
window = "1h"
reference = { last = "7d", offset = "1d" }

[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.3
for_runs = 2
severity = "critical"
channels = ["oncall"]

[channels.oncall]
type = "slack"
webhook_url = "${SLACK_WEBHOOK_URL}"

[alerting]
repeat_interval = "4h"
"""
ENV = {"SLACK_WEBHOOK_URL": "https://hooks.slack.example/T000/B000/very-secret-token"}


def parse(text: str, env: dict[str, str] | None = None, base: Path = Path("/srv/drifthound")):
    return parse_config(text, where="config.toml", base_dir=base, environ=ENV if env is None else env)


def error_of(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text, env)
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    return message


def test_the_design_example_is_valid_and_typed():
    config = parse(VALID)
    monitor = config.monitors[0]
    assert monitor.window == timedelta(hours=1)
    assert monitor.reference.last == timedelta(days=7) and monitor.reference.offset == timedelta(days=1)
    assert monitor.rules[0].for_runs == 2 and monitor.rules[0].channels == ("oncall",)
    assert config.channels["oncall"].webhook_url == ENV["SLACK_WEBHOOK_URL"]
    assert config.alerting.repeat_interval == timedelta(hours=4)
    assert config.alerting.give_up_after == timedelta(hours=24)  # default


def test_relative_sqlite_paths_and_reports_dir_are_relative_to_the_config_file(tmp_path):
    file = tmp_path / "conf" / "config.toml"
    file.parent.mkdir()
    file.write_text(VALID)
    config = load_config(file, environ=ENV)
    assert config.service.store_url == f"sqlite:///{tmp_path / 'conf' / 'drifthound.db'}"
    assert config.sources["main"].url == f"sqlite:///{tmp_path / 'conf' / 'demo.db'}"
    assert config.service.reports_dir == tmp_path / "conf" / "reports"


def test_configs_are_frozen():
    config = parse(VALID)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        config.monitors[0].window = timedelta(hours=2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('window = "1h"', 'windw = "1h"'),
            'monitors[0] (monitor "credit-scoring").windw: unknown key "windw"; did you mean "window"?',
        ),
        (("[service]", "[service]\nverbose = true"), 'service.verbose: unknown key "verbose"'),
        (('offset = "1d"', 'ofset = "1d"'), 'monitors[0] (monitor "credit-scoring").reference.ofset: unknown key'),
        (('type = "slack"', 'type = "slack"\nchanel = "#x"'), 'channels.oncall.chanel: unknown key "chanel"'),
        (("[alerting]", "[alerts]"), 'alerts: unknown key "alerts"; did you mean "alerting"?'),
    ],
)
def test_unknown_keys_are_named_with_a_suggestion(change, expected):
    message = error_of(VALID.replace(*change, 1))
    assert message.startswith("config.toml: ")
    assert expected in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('window = "1h"', 'window = "1x"'),
            "monitors[0] (monitor \"credit-scoring\").window: '1x' is not a duration; "
            'use a number and a unit: "90s", "15m", "1h", "7d"',
        ),
        (('window = "1h"', "window = 3600"), "is not a duration"),
        (('window = "1h"', 'window = "0s"'), "must be longer than zero"),
        (('schedule = "*/15 * * * *"', 'schedule = "61 * * * *"'), "is not a cron expression"),
        (('schedule = "*/15 * * * *"', 'every = "15m"\nschedule = "*/15 * * * *"'), "exactly one of schedule"),
        (('schedule = "*/15 * * * *"', 'schedule = "0 6 30 2 *"'), "matches no date (such as February 30th)"),
        (('schedule = "*/15 * * * *"', 'schedule = "0 6 * * 8"'), "is not a cron expression"),
        (
            ('reports_dir = "reports"', 'reports_dir = "reports"\nreport_retention = "12h"'),
            "service: report_retention (12h) must be longer than catch_up (1d)",
        ),
        (('table = "predictions"', 'table = "predictions"\nquery = "SELECT 1"'), "exactly one of table"),
        (
            ('source = "main"', 'source = "other"'),
            'monitors[0] (monitor "credit-scoring").source: no source named '
            '"other" (defined: main); add [sources.other] with a url',
        ),
        (('channels = ["oncall"]', 'channels = ["pager"]'), 'rules[0].channels: no channel named "pager"'),
        (('metric = "drift.share"', 'metric = "drift.shares"'), "unknown metric 'drift.shares'"),
        (("above = 0.3", "threshold = 0.3"), 'unknown key "threshold"'),
        (('metric = "drift.share"', 'metric = "drift.score"'), "drift.score is a per-column metric; add column"),
        (('task = "binary_classification"', 'task = "multiclass"'), "task"),
        (('target_column = "label"', ""), "task needs target_column"),
        (('reference = { last = "7d", offset = "1d" }', 'reference = { offset = "1d" }'), "use exactly one form"),
        (
            (
                'reference = { last = "7d", offset = "1d" }',
                'reference = { start = "2026-11-01T00:00:00" , end = "2026-11-02T00:00:00Z" }',
            ),
            "has no timezone",
        ),
        (('name = "credit-scoring"', 'name = "../etc"'), "is not a usable monitor name"),
        (
            ('task = "binary_classification"', 'task = "multiclass_classification"'),
            "for multiclass_classification, the decided class is prediction_label_column",
        ),
        (
            ('task = "binary_classification"', 'task = "binary_classification"\nprediction_columns = { a = "pa" }'),
            'prediction_columns goes with task = "multiclass_classification"',
        ),
        (
            ('task = "binary_classification"', 'task = "regression"\nprediction_label_column = "decided"'),
            "prediction_label_column goes with a classification task",
        ),
        (
            (
                'numerical_features = ["age", "income"]',
                'prediction_label_column = "decided"\nnumerical_features = ["age", "decided"]',
            ),
            "'decided' is the prediction_label_column",
        ),
        (('type = "slack"', 'type = "pagerduty"'), "needs type = one of slack, webhook, log, alertmanager"),
        (('http_listen = "127.0.0.1:9308"', 'http_listen = "9308"'), "is not host:port"),
        (
            ('numerical_features = ["age", "income"]', 'numerical_features = ["age", "region"]'),
            "'region' is listed as both numerical and categorical",
        ),
        (
            ('numerical_features = ["age", "income"]', 'numerical_features = ["age", "score"]'),
            "'score' is the prediction_column",
        ),
    ],
)
def test_each_mistake_gets_one_clear_error(change, expected):
    message = error_of(VALID.replace(*change, 1))
    assert expected in message


@pytest.mark.parametrize(
    "cron", ["0 6 * * 7", "0 6 * * 0", "0 6 * * sun", "0 6 * * mon-fri", "0 6 1 * *", "0 6 29 2 *"]
)
def test_cron_s_own_weekday_numbers_and_names_are_accepted(cron):
    config = parse(VALID.replace('schedule = "*/15 * * * *"', f'schedule = "{cron}"', 1))
    assert config.monitors[0].schedule == cron


def test_a_multiclass_monitor_with_its_decided_class_and_probabilities():
    text = VALID.replace('prediction_column = "score"\n', "").replace(
        'task = "binary_classification"',
        'task = "multiclass_classification"\nprediction_label_column = "decided"\n'
        'prediction_columns = { cat = "p_cat", dog = "p_dog" }\nestimate_performance = false',
    )
    monitor = parse(text).monitors[0]
    assert monitor.prediction_columns == {"cat": "p_cat", "dog": "p_dog"}
    assert monitor.estimates is False
    assert parse(VALID).monitors[0].estimates is True, "on by default when a task is set"


def test_two_monitors_with_one_name_are_refused():
    text = VALID + VALID[VALID.index("[[monitors]]") : VALID.index("[channels.oncall]")].replace(
        "[[monitors.rules]]", "[[monitors.rules]]"
    )
    assert 'two monitors are named "credit-scoring"' in error_of(text)


def test_a_missing_environment_variable_is_named_with_its_key():
    message = error_of(VALID, env={})
    assert message == (
        "config.toml: channels.oncall.webhook_url: environment variable SLACK_WEBHOOK_URL is not set; "
        "export it, or add it to the service's environment file (deploy/drifthound.env)"
    )


def test_an_empty_environment_variable_is_an_error():
    assert "environment variable SLACK_WEBHOOK_URL is empty" in error_of(VALID, env={"SLACK_WEBHOOK_URL": ""})


def test_variables_inside_strings_and_escapes():
    text = VALID.replace('url = "sqlite:///demo.db"', 'url = "postgresql://app:${PGPASSWORD}@db/x"').replace(
        'name = "dataset drift"', 'name = "costs $${USD}"'
    )
    config = parse(text, env={**ENV, "PGPASSWORD": "s3cr3t-pw"})
    assert config.sources["main"].url == "postgresql://app:s3cr3t-pw@db/x"
    assert config.monitors[0].rules[0].name == "costs ${USD}"


def test_values_from_the_environment_become_secrets_that_are_masked():
    parse(VALID)
    text = f"posting to {ENV['SLACK_WEBHOOK_URL']} failed"
    assert redaction.redact(text) == "posting to *** failed"


def test_passwords_written_in_urls_are_masked_too():
    parse(VALID.replace('url = "sqlite:///demo.db"', 'url = "postgresql://app:literal-pw@db/x"'))
    assert "literal-pw" not in redaction.redact("connect postgresql://app:literal-pw@db/x")
    assert redaction.safe_url("postgresql://app:literal-pw@db/x") == "postgresql://app:***@db/x"


def test_secrets_written_in_channel_urls_and_headers_are_masked_too():
    parse(
        VALID
        + """
[channels.hook]
type = "webhook"
url = "https://hooks.example/in?token=s3cr3t-value&x=1&sig=a%2Fb%2Bc%3D%3D"
headers = { Authorization = "Bearer abcdef123", X-Api-Key = "key-0123" }
[channels.am]
type = "alertmanager"
url = "http://user:pa55word@127.0.0.1:9093"
[channels.am-token]
type = "alertmanager"
url = "https://am-t0ken-77@am.example"
"""
    )
    assert redaction.redact("POST /in?token=s3cr3t-value&x=1 HTTP/1.1") == "POST /in?token=***&x=1 HTTP/1.1"
    assert redaction.redact("sig a/b+c== and a%2Fb%2Bc%3D%3D") == "sig *** and ***"
    assert redaction.redact("Authorization: Bearer abcdef123; token abcdef123") == "Authorization: ***; token ***"
    assert redaction.redact("X-Api-Key: key-0123") == "X-Api-Key: ***"
    assert redaction.redact("http://user:pa55word@127.0.0.1:9093 pa55word") == "http://***@127.0.0.1:9093 ***"
    assert redaction.redact("Authorization: Basic dXNlcjpwYTU1d29yZA==") == "Authorization: Basic ***"
    assert redaction.redact("https://am-t0ken-77@am.example") == "https://***@am.example"
    # Too short to be secrets, and ordinary words: never masked.
    assert redaction.redact("user x=1 Bearer token") == "user x=1 Bearer token"


def test_a_wrong_type_error_quotes_no_value_of_a_key_that_holds_secrets():
    channel = '[channels.hook]\ntype = "webhook"\nurl = "https://hooks.example/in"\n'
    message = error_of(VALID + channel + 'headers = "Bearer abcdef123"\n')
    assert message == "config.toml: channels.hook.headers: should be a valid dictionary"
    message = error_of(VALID.replace('url = "sqlite:///demo.db"', 'url = ["postgresql://app:pw-1234@db/x"]'))
    assert message == "config.toml: sources.main.url: should be a valid string"
    assert "(got 'two')" in error_of(VALID.replace("for_runs = 2", 'for_runs = "two"')), "other keys' are quoted"


def test_a_fixed_reference_takes_toml_datetimes_and_text():
    text = VALID.replace(
        'reference = { last = "7d", offset = "1d" }',
        'reference = { start = 2026-11-01T00:00:00Z, end = "2026-11-08T00:00:00+01:00" }',
    )
    reference = parse(text).monitors[0].reference
    assert reference.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert reference.end == datetime(2026, 11, 7, 23, tzinfo=UTC)
    assert reference.kind == "fixed"


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file; pass -c FILE"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[service\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_more_than_one_problem_is_counted_in_the_one_line():
    text = VALID.replace('window = "1h"', 'window = "1x"').replace("above = 0.3", 'above = "high"')
    assert "more problem" in error_of(text)


def test_the_committed_demo_config_is_what_demo_writes():
    from monitor.demo import CONFIG_TEMPLATE

    committed = Path(__file__).resolve().parents[2] / "config.toml"
    assert committed.read_text() == CONFIG_TEMPLATE
    parse(CONFIG_TEMPLATE, env={})


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        ('drift_method = "kss"', "unknown drift method 'kss'"),
        ("drift_threshold = 0.1", "drift_threshold goes with a fixed drift_method"),
        ("drift_false_alarm_rate = 0.7", "drift_false_alarm_rate"),
        ('columns = { salary = { drift_method = "ks" } }', "columns.salary: not a feature, prediction or target"),
        ('columns = { age = { drift_metod = "ks" } }', 'unknown key "drift_metod"; did you mean "drift_method"?'),
    ],
)
def test_drift_settings_are_validated(addition, expected):
    assert expected in error_of(VALID.replace('window = "1h"', f'window = "1h"\n{addition}', 1))


def test_late_labels_in_another_table():
    text = VALID.replace(
        'target_column = "label"', 'labels = { table = "outcomes", key = "id", column = "label", delay = "2d" }'
    )
    monitor = parse(text).monitors[0]
    assert monitor.labels.delay == timedelta(days=2) and monitor.target == "label" and monitor.target_column is None
    both = VALID.replace(
        'target_column = "label"', 'target_column = "label"\nlabels = { table = "o", key = "id", column = "y" }'
    )
    assert "not both" in error_of(both)
    assert 'unknown key "dely"' in error_of(text.replace("delay", "dely"))


def test_an_error_that_quotes_a_value_never_shows_one_from_the_environment():
    """Found by the fuzz drill: a ${VAR} put where a table belongs was quoted back in the message."""
    text = '[sources]\nmain = "postgresql://app:${PGPW}@db/predictions"\n'
    with pytest.raises(ConfigError) as raised:
        parse_config(text, environ={"PGPW": "hunter2-secret"})
    assert "hunter2-secret" not in str(raised.value) and "***" in str(raised.value)


def test_a_key_with_a_newline_is_named_on_one_line():
    """Found by the fuzz drill: a quoted TOML key holding a newline made a two-line error."""
    with pytest.raises(ConfigError) as raised:
        parse_config('"\\n" = 1\n', environ={})
    message = str(raised.value)
    assert "\n" not in message and 'unknown key "\\n"' in message


@pytest.mark.parametrize("url", ["ftp://wiki.example/drift", "wiki.example/drift", "https://", "https://w.example/a b"])
def test_a_runbook_url_must_be_a_web_address(url):
    message = error_of(VALID.replace('severity = "critical"', f'severity = "critical"\nrunbook_url = "{url}"', 1))
    assert "runbook_url" in message and "is not a web address" in message


def test_a_rule_carries_its_runbook_url():
    url = "https://wiki.example/runbooks/drift?team=ml#dataset"
    config = parse(VALID.replace('severity = "critical"', f'severity = "critical"\nrunbook_url = "{url}"', 1))
    assert config.monitors[0].rules[0].runbook_url == url
    assert parse(VALID).monitors[0].rules[0].runbook_url is None


def _with_reference(reference: str, window: str = "1h") -> str:
    return VALID.replace('reference = { last = "7d", offset = "1d" }', f"reference = {reference}").replace(
        'window = "1h"', f'window = "{window}"'
    )


def test_a_seasonal_reference_is_accepted_with_last():
    monitor = parse(_with_reference('{ last = "7d", offset = "1d", seasonality = "hour_of_day" }')).monitors[0]
    assert monitor.reference.seasonality == "hour_of_day" and monitor.reference.last == timedelta(days=7)
    weekly = parse(_with_reference('{ last = "28d", seasonality = "hour_of_week" }')).monitors[0]
    assert weekly.reference.seasonality == "hour_of_week"
    daily = parse(_with_reference('{ last = "28d", seasonality = "day_of_week" }', window="1d")).monitors[0]
    assert daily.reference.seasonality == "day_of_week"


@pytest.mark.parametrize(
    ("reference", "window", "expected"),
    [
        (
            '{ start = 2026-11-01T00:00:00Z, end = 2026-11-08T00:00:00Z, seasonality = "hour_of_day" }',
            "1h",
            'seasonality goes with last, e.g. { last = "7d", seasonality = "hour_of_day" }',
        ),
        ('{ table = "reference", seasonality = "day_of_week" }', "1d", "seasonality goes with last"),
        (
            '{ last = "3d", seasonality = "hour_of_week" }',
            "1h",
            'compares with the same hours on the same weekday: last = "3d" holds none; use at least "7d" '
            '(say last = "28d")',
        ),
        ('{ last = "12h", seasonality = "hour_of_day" }', "1h", 'use at least "1d" (say last = "7d")'),
        ('{ last = "28d", seasonality = "day_of_week" }', "2d", 'is for windows of a day at most (window = "2d")'),
        ('{ last = "7d", seasonality = "hour_of_day" }', "1d", "needs a window shorter than 1d"),
        ('{ last = "7d", seasonality = "hour_of_day_x" }', "1h", ".reference.seasonality: should be 'hour_of_day'"),
    ],
)
def test_a_seasonal_reference_that_cannot_work_is_one_clear_error(reference, window, expected):
    message = error_of(_with_reference(reference, window))
    assert expected in message
    assert message.startswith("config.toml: monitors[0]")


def test_a_rolling_reference_takes_refit_and_defaults_to_a_tenth():
    assert parse(_with_reference('{ last = "7d", refit = 0.25 }')).monitors[0].reference.refit_share == 0.25
    assert parse(_with_reference('{ last = "7d", refit = 0 }')).monitors[0].reference.refit_share == 0
    assert parse(_with_reference('{ last = "7d" }')).monitors[0].reference.refit_share == 0.1


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ('{ start = "2026-11-01T00:00:00Z", end = "2026-11-02T00:00:00Z", refit = 0.1 }', "refit goes with last"),
        ('{ table = "reference", refit = 0.1 }', "a fixed or table reference is read and fitted once"),
        ('{ last = "7d", refit = 1.5 }', "refit = 1.5 is a share of the reference's rows, from 0"),
        ('{ last = "7d", refit = -0.1 }', "refit = -0.1 is a share"),
        ('{ last = "7d", refit = "often" }', ".reference.refit"),
    ],
)
def test_a_refit_that_cannot_work_is_one_clear_error(reference, expected):
    message = error_of(_with_reference(reference))
    assert expected in message
    assert message.startswith("config.toml: monitors[0]")
