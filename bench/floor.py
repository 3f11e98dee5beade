"""(c) The raw numpy/scipy floor: the same statistics on arrays already in memory, nothing else.

    python bench/floor.py ROWS   -> prints {"seconds": ...}

Per numerical column: scipy's Wasserstein distance normed by the reference's std (what Evidently's default
computes on large data); per categorical column: category shares and scipy's Jensen-Shannon distance.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from logs import CATEGORICAL, NUMERICAL, frame


def statistics(reference, current) -> dict[str, float]:
    out = {}
    for column in NUMERICAL:
        ref, cur = reference[column].to_numpy(), current[column].to_numpy()
        out[column] = wasserstein_distance(cur, ref) / ref.std()
    for column in CATEGORICAL:
        ref, cur = reference[column].to_numpy(), current[column].to_numpy()
        categories = np.union1d(ref, cur)
        p = np.array([np.count_nonzero(ref == c) for c in categories]) / len(ref)
        q = np.array([np.count_nonzero(cur == c) for c in categories]) / len(cur)
        out[column] = float(jensenshannon(q, p, base=2))
    return out


def main(rows: int) -> None:
    reference, current = frame(rows, 0, seed=0), frame(rows, 1, seed=1)
    started = time.perf_counter()
    statistics(reference, current)
    print(json.dumps({"seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
