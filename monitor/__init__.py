"""DriftHound's daemon side: configuration, sources, windows, evaluation, store, reports, CLI."""

import os

__version__ = "0.1.0"

# One thread per run. The daemon runs windows side by side in its worker processes; OpenMP's threads
# (scikit-learn's gradient boosting: the domain classifier, the regression loss models) waiting beside them on
# the same cores made a 2-second test take 50 s on 2 idle cores, and a 4-second run pass 300 s under load. Set
# before any OpenMP library is loaded; an OMP_NUM_THREADS of the user's own wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")
