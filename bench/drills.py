"""The long drills (run by hand; the tests run short versions). Figures go in bench/RELIABILITY.md.

    .venv/bin/python bench/drills.py [--only crash replicas outage receiver fuzz load] [--out bench/out/drills.json]

Stores: SQLite, and PostgreSQL databases made on 127.0.0.1:5432 (dropped afterwards); the outage drills
stop a throwaway cluster of their own, never that server.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from pytest_httpserver import HTTPServer

from tests.drills.crash import run_crash_drill
from tests.drills.fuzz import check_config, check_log, config_texts, prediction_logs
from tests.drills.load import run_load_drill
from tests.drills.outage import run_source_outage_drill, run_store_outage_drill
from tests.drills.receiver import run_receiver_outage_drill
from tests.drills.replicas import run_replica_drill
from tests.receivers import Receiver

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


@contextmanager
def store(kind: str, folder: Path):
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
        return
    name = f"drifthound_drill_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="drifthound-drill-"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="+", default=["crash", "replicas", "outage", "receiver", "fuzz", "load"])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--replica-seconds", type=float, default=600, help="how long the replica drill kills")
    parser.add_argument("--load-seconds", type=float, default=600)
    parser.add_argument("--out", default=str(Path(__file__).parent / "out" / "drills.json"))
    args = parser.parse_args()
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "machine": platform.platform()}

    def record(name: str, figures: object) -> None:
        print(name, json.dumps(figures, default=str), flush=True)
        results[name] = figures
        Path(args.out).write_text(json.dumps(results, indent=1, default=str))

    if "crash" in args.only:
        for kind in ("sqlite", "postgresql"):
            where = folder()
            with store(kind, where) as url, HTTPServer(host="127.0.0.1") as server:
                figures = run_crash_drill(where, store_url=url, receiver=Receiver(server), kills=args.kills)
            record(f"crash ({kind} store)", figures.as_dict())
    if "replicas" in args.only:
        where = folder()
        with store("postgresql", where) as url:
            # A kill every 20 s on average (the tests' pace is one every 13 s): on 2 cores, the daemons' backlog
            # after 10 minutes at that pace took longer to clear than the drill allowed.
            figures = run_replica_drill(where, store_url=url, chaos_seconds=args.replica_seconds, pauses=(10, 30))
        record("replicas (PostgreSQL store)", figures.as_dict())
    if "outage" in args.only:
        record("store outage (PostgreSQL)", run_store_outage_drill(folder(), outage_seconds=120))
        with HTTPServer(host="127.0.0.1") as server:
            record(
                "source outage and schema change",
                run_source_outage_drill(folder(), receiver=Receiver(server), outage_seconds=120),
            )
    if "receiver" in args.only:
        for kind in ("sqlite", "postgresql"):
            where = folder()
            with store(kind, where) as url, HTTPServer(host="127.0.0.1") as server:
                # 50 minutes down: within give_up_after (1 h), so everything is owed and must arrive.
                figures = run_receiver_outage_drill(url, server, runs=600, outage=timedelta(minutes=50))
            record(f"receiver outage ({kind} store)", figures)
    if "fuzz" in args.only:
        configs: Counter = Counter()
        logs: Counter = Counter()
        started = time.monotonic()
        settings(max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck))(
            given(config_texts())(lambda text: check_config(text, configs))
        )()
        record("fuzzed configs", {**configs, "seconds": round(time.monotonic() - started, 1)})
        started = time.monotonic()
        where = folder()
        counter = iter(range(10**9))
        settings(max_examples=1_000, deadline=None, suppress_health_check=list(HealthCheck))(
            given(prediction_logs())(lambda case: check_log(_sub(where, next(counter)), case, logs))
        )()
        record("fuzzed prediction logs", {**logs, "seconds": round(time.monotonic() - started, 1)})
    if "load" in args.only:
        for kind in ("sqlite", "postgresql"):
            where = folder()
            with store(kind, where) as url:
                record(
                    f"load and soak ({kind} store)",
                    run_load_drill(where, store_url=url, monitors=50, seconds=args.load_seconds),
                )


def _sub(parent: Path, index: int) -> Path:
    path = parent / f"case-{index}"
    path.mkdir()
    return path


if __name__ == "__main__":
    main()
