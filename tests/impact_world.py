"""A generated prediction log whose ground truth of what matters to the model is known: the score follows
`important` strongly, `minor` a little, the region a little, and never `ignored`. A window may shift `ignored`
and `important` by so many of their standard deviations."""

from __future__ import annotations

import numpy as np
import pandas as pd


def explained_log(rng: np.random.Generator, n: int, *, ignored: float = 0.0, important: float = 0.0) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "important": rng.normal(important, 1, n),
            "minor": rng.normal(0, 1, n),
            "ignored": rng.normal(ignored, 1, n),
            "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    margin = 2.0 * frame["important"] + 0.5 * frame["minor"] + 0.3 * (frame["region"] == "north")
    frame["score"] = 1 / (1 + np.exp(-margin))
    return frame
