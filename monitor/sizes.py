"""Window sizes in quarter-octave steps, so the hourly jitter of a window's row count reuses what was learnt
for windows of about its size (a calibration, a sampling error, a band)."""

from __future__ import annotations

import math


def size_bucket(rows: int) -> int:
    """`rows` rounded down to a quarter-octave step (2, 2.38, 2.83, 3.36, 4, ... times a power of two)."""
    if rows <= 2:
        return max(rows, 2)
    return int(2 ** (math.floor(4 * math.log2(rows)) / 4))
