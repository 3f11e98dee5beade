"""Whether a rolling reference held from an earlier window is kept for this one, and why.

Pure: the source counts the rows the reference's spans lost and gained (inputs.py, at the edge); this decides
from the counts and says so in one line for the run's notes. A kept reference keeps everything fitted on it
(and its bounds, so its seeds): the figures are those of the reference held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from monitor.times import iso
from monitor.windows import ReferenceSpans, Window, spans_minus


class Reason(StrEnum):
    FEW_CHANGED = "few_changed"  # kept: fewer rows changed than the threshold
    CHANGED = "changed"  # refitted: at least the threshold changed
    EVERY_WINDOW = "every_window"  # refitted: refit = 0 asks for it
    AHEAD = "ahead"  # refitted: the held reference reaches past where this window's ends (a window behind it)


@dataclass(frozen=True)
class Changed:
    """The windows whose rows a reference lost and gained when its spans moved from `held` to `new`."""

    removed: tuple[Window, ...]
    added: tuple[Window, ...]
    disjoint: bool  # nothing of the held spans remains: every row changed, no need to count

    @staticmethod
    def between(held: ReferenceSpans, new: ReferenceSpans) -> Changed:
        removed = spans_minus(held.spans, new.spans)
        return Changed(removed, spans_minus(new.spans, held.spans), removed == held.spans)


@dataclass(frozen=True)
class Refit:
    keep: bool
    reason: Reason
    threshold: float
    fitted_for: datetime  # the end of the window the held reference was read for
    share: float | None = None  # changed rows / the held reference's rows; None: all of them (or not counted)

    def note(self) -> str | None:
        """One line for the run's notes; None when nothing differs from reading the reference for this window."""
        if self.reason is Reason.EVERY_WINDOW:
            return None
        if self.reason is Reason.AHEAD:
            return (
                f"reference refitted: the one held (for the window ending {iso(self.fitted_for)}) reaches past "
                "this window's"
            )
        share = "all" if self.share is None else _percent(self.share, below=self.threshold if self.keep else None)
        if self.keep:
            return (
                f"reference fitted for the window ending {iso(self.fitted_for)}: {share} of its rows have changed "
                f"since; refitted at {_percent(self.threshold)}"
            )
        return f"reference refitted: {share} of its rows changed"


def refit_before_counting(
    held: ReferenceSpans, new: ReferenceSpans, fitted_for: datetime, threshold: float
) -> Refit | None:
    """A refit decided without counting rows, or None when the counts decide."""
    if threshold <= 0:
        return Refit(False, Reason.EVERY_WINDOW, threshold, fitted_for)
    # A window behind the one held (a backfill, catch-up): the held reference would hold rows this window's
    # reference leaves out on purpose (the offset), or the window's own rows.
    if held.bounds.end > new.bounds.end:
        return Refit(False, Reason.AHEAD, threshold, fitted_for)
    return None


def refit_after_counting(
    *, held_rows: int, removed: int | None, added: int, threshold: float, fitted_for: datetime
) -> Refit:
    """Kept while the rows removed plus the rows added stay under `threshold` of the held reference's rows.
    `removed` None: every held row (disjoint spans)."""
    if removed is None or (held_rows == 0 and removed + added > 0):
        return Refit(False, Reason.CHANGED, threshold, fitted_for)
    share = (removed + added) / held_rows if held_rows else 0.0
    reason = Reason.CHANGED if share >= threshold else Reason.FEW_CHANGED
    return Refit(reason is Reason.FEW_CHANGED, reason, threshold, fitted_for, share)


def _percent(share: float, *, below: float | None = None) -> str:
    """A share in whole percents; with more digits where whole ones would read as `below` (9.7% kept under 10%)."""
    if 0 < share < 0.01:
        return "under 1%"
    digits = 0
    while below is not None and digits < 3 and round(share * 100, digits) >= below * 100:
        digits += 1
    return f"{share:.{digits}%}"
