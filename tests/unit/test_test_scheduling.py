"""The suite's own scheduler (tests/scheduling.py): which file a free worker takes next."""

from __future__ import annotations

from tests.scheduling import HEAVY_AT_ONCE, expected_seconds, next_file

MEASURED = {"tests/e2e/test_daemon.py": 90.0, "tests/e2e/test_cli.py": 30.0, "tests/unit/test_x.py": 2.0}
WAITING = ["tests/unit/test_x.py", "tests/drills/test_crash.py", "tests/e2e/test_cli.py", "tests/e2e/test_daemon.py"]
DRILLS = {"tests/drills/test_crash.py": 120.0, "tests/drills/test_load.py": 30.0}


def test_the_longest_file_goes_first():
    assert next_file(WAITING, heavy_running=0, measured=MEASURED | DRILLS) == "tests/drills/test_crash.py"
    assert next_file(WAITING, heavy_running=0, measured=MEASURED) == "tests/e2e/test_daemon.py"


def test_with_drills_at_their_limit_the_longest_other_file_goes():
    chosen = next_file(WAITING, heavy_running=HEAVY_AT_ONCE, measured=MEASURED | DRILLS)
    assert chosen == "tests/e2e/test_daemon.py"


def test_when_only_drills_wait_one_goes_rather_than_none():
    only_drills = ["tests/drills/test_load.py", "tests/drills/test_crash.py"]
    assert next_file(only_drills, heavy_running=HEAVY_AT_ONCE, measured=DRILLS) == "tests/drills/test_crash.py"


def test_an_unmeasured_file_is_guessed_by_its_folder():
    assert expected_seconds(MEASURED, "tests/drills/test_new.py") > expected_seconds(MEASURED, "tests/e2e/test_new.py")
    assert expected_seconds(MEASURED, "tests/e2e/test_new.py") > expected_seconds(MEASURED, "tests/unit/test_new.py")
