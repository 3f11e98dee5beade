"""Shared fixtures: real SQLite files and real PostgreSQL databases (one fresh database per test)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import structlog

from monitor import redaction
from monitor.sources.connect import dispose_all
from tests import leftovers

PG_ADMIN_URL = os.environ.get("DRIFTHOUND_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(what: str, why: str) -> None:
    """Skips on a newcomer's bare laptop; under CI=true a missing service fails the suite."""
    message = f"{what} is not available ({why})"
    if IN_CI:
        pytest.fail(f"{message}; CI must run these tests", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fails the session when a process its tests started is still alive at its end (each xdist worker checks
    its own: its children, its temp dir, its marker)."""
    session = uuid.uuid4().hex
    os.environ[leftovers.MARKER] = session
    criteria = {
        "session": session,
        "temp_dirs": [tmp_path_factory.getbasetemp()],
        "before": {int(pid) for pid in os.listdir("/proc") if pid.isdigit()},
    }
    yield
    left = leftovers.wait_for_leftovers(LEFTOVER_GRACE_SECONDS, **criteria)
    if left:
        leftovers.kill(left)
        pytest.fail(
            "processes started by the tests were still running at the end (killed now):\n"
            + "\n".join(f"  {item}" for item in left),
            pytrace=False,
        )


# How long processes being stopped at the session's end (daemons, their workers) get before they count as left.
LEFTOVER_GRACE_SECONDS = 10.0


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        engine.dispose()
        _unavailable(f"PostgreSQL at {PG_ADMIN_URL}", str(error.orig).strip().splitlines()[0])
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: sa.Engine) -> Iterator[str]:
    """A new, empty PostgreSQL database for this test, dropped afterwards."""
    name = f"drifthound_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    dispose_all()
    with pg_admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a SQLite file and on a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(autouse=True)
def _forget_secrets_engines_and_logging() -> Iterator[None]:
    yield
    redaction.clear()
    dispose_all()
    # A test that configured logging onto its captured stderr must not leave later tests writing to it.
    structlog.reset_defaults()
    logging.getLogger().handlers[:] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--longest-first",
        action="store_true",
        help="with -n: hand out whole files, longest first, at most two heavy ones at once (tests/scheduling.py)",
    )


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if not config.getoption("longest_first"):
        return None
    from tests.scheduling import LongestFirstScheduling

    return LongestFirstScheduling(config, log)
