"""The run's thread pool: how many threads it takes, and that threads change no figure."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading

import numpy as np
import pandas as pd
import pytest

from monitor import parallel
from monitor.drift.calibration import SharedUniforms
from monitor.drift.detect import DriftSettings, ReferenceProfile, detect
from monitor.multivariate.reconstruction import fit_reconstruction, judge


@pytest.mark.parametrize(
    ("cores", "busy", "override", "expected"),
    [
        (2, 1, None, 2),  # drifthound check, or a daemon's worker running alone: every core
        (2, 2, None, 1),  # two workers running on two cores: one thread each
        (8, 2, None, 4),
        (1, 4, None, 1),  # more of them than cores: still one
        (2, 0, None, 2),
        (2, 2, "3", 3),  # DRIFTHOUND_THREADS wins
        (2, 1, "1", 1),  # ... and 1 turns threads off
        (2, 1, "0", 2),  # nonsense is ignored
        (2, 1, "two", 2),
    ],
)
def test_threads_are_the_cores_shared_among_the_busy_workers_unless_overridden(cores, busy, override, expected):
    assert parallel.thread_count(cores, busy, override) == expected


def test_results_come_back_in_order_and_the_pool_is_not_entered_twice(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "2")
    names = parallel.map_ordered(
        lambda k: (k, parallel.map_ordered(lambda _: threading.current_thread().name, [0, 1], work=10**9)),
        range(6),
        work=10**9,
    )
    assert [k for k, _ in names] == list(range(6))
    for _, inner in names:  # a call from a pool thread runs in that thread
        assert inner[0] == inner[1] and inner[0].startswith("drifthound-run")
    monkeypatch.setenv(parallel.ENV, "1")
    assert (
        parallel.map_ordered(lambda _: threading.current_thread().name, [0, 1], work=10**9)
        == [threading.current_thread().name] * 2
    )


def _frames(rng: np.random.Generator, rows: int, shift: float) -> pd.DataFrame:
    a = rng.normal(shift, 1, rows)
    return pd.DataFrame(
        {
            "a": a,
            "b": 0.6 * a + rng.normal(0, 0.8, rows),
            "c": rng.gamma(2.0, 1.0 + shift, rows),
            "d": rng.choice(["x", "y", "z"], rows, p=[0.5, 0.3, 0.2]),
            "e": rng.integers(0, 5, rows).astype(float),
        }
    )


def _figures() -> list[object]:
    rng = np.random.default_rng(7)
    reference, window = _frames(rng, 3000, 0.0), _frames(rng, 1000, 0.1)
    kinds = {"a": "numerical", "b": "numerical", "c": "numerical", "d": "categorical", "e": "numerical"}
    profile = ReferenceProfile(reference, kinds, seed=3)
    figures: list[object] = [dataclasses.astuple(v) for v in detect(window, profile, list(kinds), DriftSettings())]
    # A run's segments: shared calibration draws, the run's alpha.
    shared = SharedUniforms(3)
    for part in (window.iloc[:500], window.iloc[500:]):
        verdicts = detect(part, profile, list(kinds), DriftSettings(), alpha=0.001, shared=shared)
        figures += [dataclasses.astuple(v) for v in verdicts]
    model = fit_reconstruction(reference, ("a", "b", "c"), ("d",), seed=3)
    assert not isinstance(model, str)
    verdict = judge(model, window, alpha=0.001, min_effect=0.01)
    errors, by_column = model.errors(window)
    return [*figures, dataclasses.astuple(verdict), errors.tobytes(), by_column.tobytes()]


def test_threads_give_the_same_figures_to_the_last_digit(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "1")
    alone = _figures()
    monkeypatch.setenv(parallel.ENV, "3")
    monkeypatch.setattr(parallel, "MIN_WORK", 0)  # a small window spread over threads all the same
    monkeypatch.setattr("monitor.multivariate.reconstruction.CHUNK_ROWS", 300)  # uneven chunks
    assert _figures() == alone


def test_a_daemon_worker_takes_the_cores_the_other_running_workers_leave(monkeypatch):
    from monitor.service import pool

    running = multiprocessing.get_context("spawn").Value("i", 0)
    monkeypatch.setattr(pool, "_running", running)
    monkeypatch.setattr(parallel, "_busy", parallel._busy)  # restored afterwards
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.delenv(parallel.ENV, raising=False)
    parallel.share_with(lambda: running.value)
    pool._count_running(+1)  # this worker's run
    assert parallel.threads() == 2
    pool._count_running(+1)  # another worker's
    assert parallel.threads() == 1
    pool._count_running(-1)
    assert parallel.threads() == 2
