"""Whether a rolling reference held from an earlier window is kept: the decision on counted rows, and the
spans whose rows are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.sources.refit import Changed, Reason, refit_after_counting, refit_before_counting
from monitor.windows import ReferenceSpans, Window

T0 = datetime(2026, 11, 22, tzinfo=UTC)
H = timedelta(hours=1)


def _w(start: int, end: int) -> Window:
    return Window(T0 + start * H, T0 + end * H)


def test_a_moved_reference_loses_its_oldest_rows_and_gains_the_newest():
    changed = Changed.between(ReferenceSpans((_w(0, 24),)), ReferenceSpans((_w(1, 25),)))
    assert changed == Changed((_w(0, 1),), (_w(24, 25),), disjoint=False)
    backwards = Changed.between(ReferenceSpans((_w(5, 29),)), ReferenceSpans((_w(0, 24),)))
    assert backwards == Changed((_w(24, 29),), (_w(0, 5),), disjoint=False)


def test_seasonal_spans_moved_by_their_window_share_no_rows():
    held = ReferenceSpans((_w(0, 1), _w(24, 25), _w(48, 49)), "hour_of_day")
    new = ReferenceSpans((_w(1, 2), _w(25, 26), _w(49, 50)), "hour_of_day")
    changed = Changed.between(held, new)
    assert changed.disjoint and changed.removed == held.spans and changed.added == new.spans


def test_overlapping_seasonal_spans_count_only_their_differences():
    held = ReferenceSpans((_w(0, 2), _w(24, 26)), "hour_of_day")
    new = ReferenceSpans((_w(1, 3), _w(25, 27)), "hour_of_day")
    assert Changed.between(held, new) == Changed((_w(0, 1), _w(24, 25)), (_w(2, 3), _w(26, 27)), disjoint=False)


def _after(held_rows: int, removed: int | None, added: int, threshold: float = 0.1):
    return refit_after_counting(
        held_rows=held_rows, removed=removed, added=added, threshold=threshold, fitted_for=T0 + 25 * H
    )


@pytest.mark.parametrize(
    ("held_rows", "removed", "added", "keep", "reason", "share"),
    [
        (1000, 20, 20, True, Reason.FEW_CHANGED, 0.04),
        (1000, 50, 50, False, Reason.CHANGED, 0.1),  # at the threshold: refitted
        (1000, 0, 0, True, Reason.FEW_CHANGED, 0.0),
        (1000, None, 0, False, Reason.CHANGED, None),  # nothing held remains
        (0, 0, 0, True, Reason.FEW_CHANGED, 0.0),
        (0, 0, 3, False, Reason.CHANGED, None),
    ],
)
def test_a_held_reference_is_kept_while_fewer_rows_than_the_threshold_changed(
    held_rows, removed, added, keep, reason, share
):
    refit = _after(held_rows, removed, added)
    assert (refit.keep, refit.reason) == (keep, reason)
    assert refit.share == pytest.approx(share) if share is not None else refit.share is None


def test_some_refits_need_no_count():
    held, ahead = ReferenceSpans((_w(0, 24),)), ReferenceSpans((_w(1, 25),))
    assert refit_before_counting(held, ahead, T0 + 25 * H, threshold=0.1) is None
    every = refit_before_counting(held, ahead, T0 + 25 * H, threshold=0)
    assert every is not None and not every.keep and every.reason is Reason.EVERY_WINDOW and every.note() is None
    # A window behind the one held (a backfill): the held reference holds rows its own leaves out.
    behind = refit_before_counting(held, ReferenceSpans((_w(-1, 23),)), T0 + 25 * H, threshold=0.1)
    assert behind is not None and not behind.keep and behind.reason is Reason.AHEAD
    assert behind.note() == (
        "reference refitted: the one held (for the window ending 2026-11-23T01:00:00Z) reaches past this window's"
    )


def test_the_run_says_in_one_line_which_reference_it_used_and_why():
    assert _after(1000, 20, 20).note() == (
        "reference fitted for the window ending 2026-11-23T01:00:00Z: 4% of its rows have changed since; "
        "refitted at 10%"
    )
    assert _after(1000, 60, 60).note() == "reference refitted: 12% of its rows changed"
    assert _after(1000, None, 0).note() == "reference refitted: all of its rows changed"
    assert "under 1%" in (_after(1000, 1, 2).note() or "")
    assert ": 9.7% of its rows have changed since; refitted at 10%" in (_after(1000, 50, 47).note() or "")
