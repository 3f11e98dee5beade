"""The installed `drifthound` command, in a subprocess, as a newcomer and an operator use it."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.cli import BIN, drifthound

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(demo_data) -> Path:
    """The demo's latest window checked once, as `make run` does."""
    directory = demo_data
    checked = drifthound("check", "-c", str(directory / "config.toml"))
    assert checked.returncode == 0, checked.stderr + checked.stdout
    return directory


def test_the_demo_shows_its_injected_drift(demo):
    assert (demo / "predictions.db").stat().st_size > 10_000_000
    metrics = drifthound(
        "metrics", "-m", "credit-scoring", "--metric", "drift.detected", "-c", str(demo / "config.toml")
    )
    assert metrics.returncode == 0
    rows = list(csv.DictReader(io.StringIO(metrics.stdout)))
    assert rows and list(rows[0]) == ["window_start", "window_end", "metric", "column", "segment", "value", "method"]
    detected = {row["column"] for row in rows if float(row["value"]) == 1.0}
    assert detected == {"income", "debt_ratio", "channel"}
    assert all(row["method"].endswith("(calibrated)") for row in rows), "which statistic decided each verdict"
    reports = list((demo / "reports" / "credit-scoring").glob("*.html"))
    assert len(reports) == 1 and reports[0].with_suffix(".json").exists()
    assert "income" in reports[0].read_text()


def test_status_tells_what_drifted(demo):
    result = drifthound("status", "-c", str(demo / "config.toml"))
    assert result.returncode == 0, result.stderr
    assert "credit-scoring" in result.stdout and ": ok" in result.stdout
    assert "drift: 3 of 9 columns" in result.stdout
    assert "income" in result.stdout and "report: " in result.stdout


def test_estimated_quality_falls_in_the_drifted_day_before_any_label_and_a_stable_day_raises_nothing(demo):
    """The demo's outcomes arrive a day late: the drifted day has an estimate only, below the band of what the
    model really did on the reference; a stable day two days back has both, the estimate near the truth."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    stable_end = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = drifthound("check", "-c", str(demo / "config.toml"), "--at", stable_end)
    assert result.returncode == 0, result.stderr
    assert "drift: 0 of 9 columns" in result.stdout
    out = drifthound("metrics", "-m", "credit-scoring", "--format", "json", "-c", str(demo / "config.toml"))
    figures: dict[str, dict[str, float]] = {}
    for row in json.loads(out.stdout):
        if not row["column"]:
            figures.setdefault(row["window_end"], {})[row["metric"]] = row["value"]
    stable = figures.pop(stable_end)
    [(_, drifted)] = figures.items()
    assert "roc_auc" not in drifted, "no outcome of the drifted day has arrived"
    band_low = drifted["estimated.roc_auc.reference_mean"] - 3 * drifted["estimated.roc_auc.reference_std"]
    assert drifted["estimated.roc_auc"] < band_low
    assert abs(stable["estimated.roc_auc"] - stable["roc_auc"]) < 3 * stable["estimated.roc_auc.sampling_error"]
    # The rule is on the estimate: the stable day's stays within its own window's band, so nothing fires.
    stable_low = stable["estimated.roc_auc.reference_mean"] - 3 * stable["estimated.roc_auc.reference_std"]
    assert stable["estimated.roc_auc"] > stable_low


def test_checking_the_same_window_again_changes_nothing(demo):
    before = drifthound("metrics", "-m", "credit-scoring", "-c", str(demo / "config.toml")).stdout
    again = drifthound("check", "-c", str(demo / "config.toml"))
    assert again.returncode == 0 and "already evaluated (ok)" in again.stdout
    assert drifthound("metrics", "-m", "credit-scoring", "-c", str(demo / "config.toml")).stdout == before


def test_backfill_prints_plain_lines_when_not_on_a_terminal(demo, tmp_path):
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start, end = now - timedelta(days=3, hours=3), now - timedelta(days=3)
    result = drifthound(
        "backfill",
        "-c",
        str(demo / "config.toml"),
        "-m",
        "credit-scoring",
        "--start",
        start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end",
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4 and all(": ok" in line for line in lines[:3])
    assert lines[-1] == "credit-scoring: 3 windows: 3 ok"
    assert "\r" not in result.stdout + result.stderr


def test_config_check_tests_every_connection(demo, tmp_path):
    ok = drifthound("config", "check", "-c", str(demo / "config.toml"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "valid; 1 monitors, 1 sources, 1 channels" in ok.stdout
    assert 'ok    monitor "credit-scoring"' in ok.stdout and "6 numerical and 3 categorical features" in ok.stdout
    broken = tmp_path / "config.toml"
    broken.write_text(
        (demo / "config.toml")
        .read_text()
        .replace('"income", ', '"salary", ')
        .replace("sqlite:///drifthound.db", f"sqlite:///{demo / 'drifthound.db'}")
        .replace("sqlite:///predictions.db", f"sqlite:///{demo / 'predictions.db'}")
    )
    failed = drifthound("config", "check", "-c", str(broken))
    assert failed.returncode == 1
    assert 'FAIL  monitor "credit-scoring"' in failed.stdout and 'column "salary"' in failed.stdout


def test_db_upgrade_reports_the_schema(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[service]\nstore_url = "sqlite:///store.db"\n')
    first = drifthound("db", "upgrade", "-c", str(config))
    second = drifthound("db", "upgrade", "-c", str(config))
    from monitor.store.migrate import head_revision

    head = head_revision()
    assert first.returncode == 0 and f"upgraded from empty to {head}" in first.stdout
    assert second.returncode == 0 and f"already at the newest schema ({head})" in second.stdout


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ('[service]\nstore_url = "${NOPE}"\n', {}, "service.store_url: environment variable NOPE is not set"),
        ("[service]\nstorage = 1\n", {}, 'unknown key "storage"'),
        ("[[monitors]]\nname = 1\n", {}, "monitors[0]"),
        ("this is not toml", {}, "not valid TOML"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(tmp_path, text, env, expected):
    config = tmp_path / "config.toml"
    config.write_text(text)
    for command in (["config", "check"], ["check"], ["status"]):
        result = drifthound(*command, "-c", str(config), env=env)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.stderr


def test_usage_errors_exit_2(tmp_path):
    assert drifthound("check", "--at", "yesterday", "-c", str(tmp_path / "none.toml")).returncode == 2
    unknown = drifthound("frobnicate")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
    assert drifthound("metrics").returncode == 2


def test_a_secret_never_appears_in_output(tmp_path):
    secret = "hunter2-very-secret"
    config = tmp_path / "config.toml"
    config.write_text("""
[service]
store_url = "sqlite:///store.db"
[sources.main]
url = "postgresql+psycopg://app:${PGPW}@127.0.0.1:1/nowhere"
[[monitors]]
name = "m"
source = "main"
table = "predictions"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = { last = "1d" }
""")
    for command in (["config", "check"], ["check"], ["status"]):
        result = drifthound(*command, "-c", str(config), env={"PGPW": secret})
        assert secret not in result.stdout + result.stderr, command
    failed = drifthound("check", "-c", str(config), "-v", env={"PGPW": secret})
    assert failed.returncode == 1 and "cannot connect to the source database" in failed.stdout
    assert "app:***@" in drifthound("config", "check", "-c", str(config), env={"PGPW": secret}).stdout


def test_help_and_config_check_do_not_import_evidently(tmp_path, demo_data):
    probe = (
        "import sys\nfrom monitor.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('EVIDENTLY' if 'evidently' in sys.modules else 'LEAN')"
    )
    config = tmp_path / "config.toml"
    config.write_text('[service]\nstore_url = "sqlite:///store.db"\n')
    demo_config = str(demo_data / "config.toml")  # a monitor, a source, a channel: every connection tested
    for args in (
        ["--help"],
        ["config", "check", "-c", str(config)],
        ["config", "check", "-c", demo_config],
        ["status", "-c", str(config)],
    ):
        result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False)
        assert result.stdout.strip().endswith("LEAN"), (args, result.stdout[-300:], result.stderr[-300:])
        assert "fail" not in result.stdout, result.stdout


def test_demo_refuses_to_overwrite_a_foreign_config(tmp_path):
    (tmp_path / "config.toml").write_text("# mine\n")
    result = drifthound("demo", "--dir", str(tmp_path))
    assert result.returncode == 2 and "is not the demo's config" in result.stderr
    assert (tmp_path / "config.toml").read_text() == "# mine\n"


def test_one_failing_monitor_does_not_stop_the_others(demo, tmp_path):
    config = tmp_path / "config.toml"
    text = (demo / "config.toml").read_text()
    text = text.replace("sqlite:///drifthound.db", f"sqlite:///{tmp_path / 'store.db'}").replace(
        "sqlite:///predictions.db", f"sqlite:///{demo / 'predictions.db'}"
    )
    broken = (
        text[text.index("[[monitors]]") : text.index("[[monitors.rules]]")]
        .replace('name = "credit-scoring"', 'name = "broken"')
        .replace('table = "predictions"', 'table = "gone"')
    )
    config.write_text(broken + text)
    result = drifthound("check", "-c", str(config))
    assert result.returncode == 1
    assert "broken [" in result.stdout and 'failed (reading table "gone" failed' in result.stdout
    assert "credit-scoring [" in result.stdout and "): ok" in result.stdout
    shutil.rmtree(tmp_path / "reports", ignore_errors=True)


def test_backfill_draws_a_progress_bar_on_a_terminal(demo):
    """On a terminal the windows are one redrawn line; the summary is printed at the end."""
    import pty

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start, end = now - timedelta(days=4, hours=2), now - timedelta(days=4)
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [
            str(BIN),
            "backfill",
            "-c",
            str(demo / "config.toml"),
            "-m",
            "credit-scoring",
            "--start",
            start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "--end",
            end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ],
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=300) == 0
    text = output.decode()
    assert "\r[###############...............] 1/2 windows" in text
    assert "\r[##############################] 2/2 windows" in text
    assert "credit-scoring: 2 windows: 2 ok" in text


def test_metrics_into_a_closed_pipe_ends_quietly(demo):
    """`drifthound metrics ... | head -1`: the reader leaves after a line; no BrokenPipeError traceback."""
    import fcntl

    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # smaller than the output: the writer must block
    process = subprocess.Popen(
        [str(BIN), "metrics", "-m", "credit-scoring", "-c", str(demo / "config.toml")],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write_end)
    with os.fdopen(read_end) as reader:
        assert reader.readline().startswith("window_start,")
    _, stderr = process.communicate(timeout=120)
    assert stderr == "" and process.returncode in (0, 141)


def test_since_takes_a_duration_back_from_now(demo):
    config = str(demo / "config.toml")
    day = drifthound("metrics", "-m", "credit-scoring", "--since", "1d", "--metric", "rows", "-c", config)
    assert day.returncode == 0, day.stderr
    ends = {row["window_end"] for row in csv.DictReader(io.StringIO(day.stdout))}
    cutoff = datetime.now(UTC) - timedelta(days=1)
    assert ends and all(datetime.fromisoformat(end) > cutoff for end in ends)
    everything = drifthound("metrics", "-m", "credit-scoring", "--metric", "rows", "-c", config)
    decade = drifthound("metrics", "-m", "credit-scoring", "--since", "3650d", "--metric", "rows", "-c", config)
    assert decade.stdout == everything.stdout
    wrong = drifthound("metrics", "-m", "credit-scoring", "--since", "yesterday", "-c", config)
    assert wrong.returncode == 2 and '"1d"' in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.parametrize(
    ("flag", "typo", "meant"),
    [("--metric", "drift.scor", "drift.score"), ("--column", "incme", "income"), ("--segment", "region=nort", "north")],
)
def test_an_unknown_metric_column_or_segment_is_a_usage_error_with_a_suggestion(demo, flag, typo, meant):
    result = drifthound("metrics", "-m", "credit-scoring", flag, typo, "-c", str(demo / "config.toml"))
    assert result.returncode == 2 and result.stdout == ""
    assert "did you mean" in result.stderr and meant in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_known_metric_without_stored_rows_is_an_empty_table(demo):
    result = drifthound("metrics", "-m", "credit-scoring", "--metric", "r2", "-c", str(demo / "config.toml"))
    assert result.returncode == 0 and result.stdout.strip() == ",".join(
        ("window_start", "window_end", "metric", "column", "segment", "value", "method")
    )


def test_the_config_file_may_come_before_the_command_and_python_m_monitor_works(demo):
    config = str(demo / "config.toml")
    after = drifthound("status", "-c", config)
    before = drifthound("-c", config, "status")
    assert before.returncode == 0, before.stderr
    assert "credit-scoring" in before.stdout and before.stdout.splitlines()[:2] == after.stdout.splitlines()[:2]
    module = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", config, "status"], capture_output=True, text=True, check=False
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout.splitlines()[:2] == after.stdout.splitlines()[:2]
    assert subprocess.run([sys.executable, "-m", "monitor", "frobnicate"], capture_output=True).returncode == 2


def test_checking_a_skipped_window_again_says_it_was_skipped_and_why(demo, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        (demo / "config.toml")
        .read_text()
        .replace("min_rows = 200", "min_rows = 40000")
        .replace("sqlite:///drifthound.db", f"sqlite:///{tmp_path / 'store.db'}")
        .replace("sqlite:///predictions.db", f"sqlite:///{demo / 'predictions.db'}")
    )
    at = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    first = drifthound("check", "-c", str(config), "--at", at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert first.returncode == 0 and "skipped (" in first.stdout and "fewer than min_rows = 40000" in first.stdout
    again = drifthound("check", "-c", str(config), "--at", at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert again.returncode == 0
    assert "already evaluated (skipped: " in again.stdout and "fewer than min_rows = 40000)" in again.stdout
    shutil.rmtree(tmp_path / "reports", ignore_errors=True)


def test_status_lists_alerts_most_severe_first(demo, tmp_path):
    """Rules named so that by name the info alert would come first and the critical one last."""
    config = tmp_path / "config.toml"
    text = (
        (demo / "config.toml")
        .read_text()
        .replace("for_runs = 2", "for_runs = 1")
        .replace("sqlite:///drifthound.db", f"sqlite:///{tmp_path / 'store.db'}")
        .replace("sqlite:///predictions.db", f"sqlite:///{demo / 'predictions.db'}")
    )
    for name, severity in (("a rows seen", "info"), ("b rows seen", "warning")):
        text += f'\n[[monitors.rules]]\nname = "{name}"\nmetric = "rows"\nabove = 1\nseverity = "{severity}"\n'
    config.write_text(text)
    assert drifthound("check", "-c", str(config)).returncode == 0
    status = drifthound("status", "-c", str(config))
    assert status.returncode == 0, status.stderr
    lines = status.stdout[status.stdout.index("alerts, most severe first:") :].splitlines()[1:]
    firing = [line.split(":")[1].split("(")[-1].rstrip(")") for line in lines if line.startswith("  FIRING")]
    assert firing[0] == "critical" and firing[-2:] == ["warning", "info"], lines
    assert "FIRING   credit-scoring: dataset drift (critical): drift.share" in status.stdout
    shutil.rmtree(tmp_path / "reports", ignore_errors=True)


def test_config_check_warns_when_report_links_would_point_at_the_listen_address(tmp_path, httpserver):
    config = tmp_path / "config.toml"
    base = (
        f'[service]\nstore_url = "sqlite:///{tmp_path / "store.db"}"\nhttp_listen = "127.0.0.1:9400"\n'
        f'[channels.hook]\ntype = "webhook"\nurl = "{httpserver.url_for("/hook")}"\n'
    )
    config.write_text(base)
    unset = drifthound("config", "check", "-c", str(config))
    assert unset.returncode == 0, unset.stdout + unset.stderr
    [warning] = [line for line in unset.stdout.splitlines() if line.startswith("  WARN")]
    assert "public_url is not set" in warning and '"hook"' in warning and "http://127.0.0.1:9400" in warning
    config.write_text(base.replace("[channels.hook]", 'public_url = "https://dh.example"\n[channels.hook]'))
    set_ = drifthound("config", "check", "-c", str(config))
    assert set_.returncode == 0 and "WARN" not in set_.stdout
