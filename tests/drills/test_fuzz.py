"""Bad input, fuzzed (short version; bench/drills.py runs thousands more): config files are valid or refused
with one clear line, prediction logs end every run ok, skipped or failed with a reason."""

from __future__ import annotations

import subprocess
from collections import Counter

from hypothesis import HealthCheck, given, settings

from tests.drills.fuzz import check_config, check_log, config_texts, prediction_logs
from tests.e2e.cli import BIN

CONFIG_OUTCOMES: Counter = Counter()
LOG_OUTCOMES: Counter = Counter()

# The short versions are derandomized: CI sees the same cases on every run (a failure there reproduces), and
# bench/drills.py explores new ones at random, by the thousand.


@settings(
    max_examples=1500, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(config_texts())
def test_generated_configs_are_valid_or_refused_in_one_line(text):
    check_config(text, CONFIG_OUTCOMES)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(prediction_logs())
def test_generated_prediction_logs_never_crash_a_run(tmp_path_factory, case):
    check_log(tmp_path_factory.mktemp("log"), case, LOG_OUTCOMES)


@settings(max_examples=8, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_texts())
def test_the_cli_answers_a_bad_config_with_exit_2_and_no_traceback(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(text)
    result = subprocess.run([str(BIN), "status", "-c", str(path)], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode in (0, 1, 2)
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
