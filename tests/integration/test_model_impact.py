"""Does the drift matter to the model? On a real log, a real run, a real webhook, the report and the monitor's
page: a column the model ignores moves by 3 standard deviations, the one it leans on most by 0.3; both are
detected, and the important one is named first (tests/impact_world.py holds the truth)."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import numpy as np
import pandas as pd

from alerts.channels import build_channels
from alerts.delivery import Deliverer
from monitor.commands.summary import summary_lines
from monitor.runner import Runner
from monitor.store import Store
from monitor.web.site import monitor_view
from monitor.windows import Window
from tests.helpers import T0, monitor_config, write_table
from tests.impact_world import explained_log
from tests.receivers import Receiver

SHIFT = T0 + timedelta(hours=40)  # the reference (the 24 hours before the window) is all unshifted
DRIFTED = Window(T0 + timedelta(hours=40), T0 + timedelta(hours=41))
RULE = '[[monitors.rules]]\nname = "columns drifted"\nmetric = "drift.count"\nabove = 0.5\nchannels = ["hook"]\n'


def shifted_log(rows_per_hour: int = 500, hours: int = 41) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    parts = []
    for hour in range(hours):
        start = T0 + timedelta(hours=hour)
        shift = {"ignored": 3.0, "important": 0.3} if start >= SHIFT else {}
        part = explained_log(rng, rows_per_hour, **shift)
        part.insert(0, "ts", [start + timedelta(seconds=s) for s in np.sort(rng.uniform(0, 3600, rows_per_hour))])
        parts.append(part)
    return pd.concat(parts, ignore_index=True).assign(label=lambda f: (rng.random(len(f)) < f["score"]).astype(int))


def test_the_drifted_column_that_moves_the_model_is_named_first(tmp_path, httpserver):
    source = f"sqlite:///{tmp_path / 'log.db'}"
    write_table(source, "predictions", shifted_log())
    hook = Receiver(httpserver, "/hook")
    config = monitor_config(
        tmp_path,
        source,
        features='numerical_features = ["important", "minor", "ignored"]\ncategorical_features = ["region"]',
        monitor_extra=RULE,
        extra=f'[channels.hook]\ntype = "webhook"\nurl = "{hook.url}"\n',
    )
    store = Store(config.service.store_url)
    store.ensure_schema()
    now = DRIFTED.end + timedelta(minutes=1)
    result = Runner(config, store, owner="test", clock=lambda: now).run(config.monitors[0], DRIFTED)
    assert result.status == "ok", result.reason
    figures = {(m.metric, m.column): m.value for m in result.metrics if not m.segment}
    assert figures[("drift.detected", "important")] == figures[("drift.detected", "ignored")] == 1.0
    assert figures[("drift.ratio", "ignored")] > 3 * figures[("drift.ratio", "important")], "ignored moved most"
    assert figures[("importance", "important")] > 0.5 > 0.01 > figures[("importance", "ignored")]
    [told] = [line for line in summary_lines(result.metrics) if line.startswith("drift:")]  # what `check` prints
    assert told.index("important") < told.index("ignored") and "(impact " in told, told

    deliverer = Deliverer(store, build_channels(config.channels, timedelta(hours=4)), owner="w", clock=lambda: now)
    deliverer.rng = random.Random(1)
    assert deliverer.drain(5) == 0
    [body] = hook.bodies
    [alert] = body["alerts"]
    named = [c["column"] for c in alert["top_columns"]]
    assert named[0] == "important" and "ignored" in named, named
    assert alert["top_columns"][0]["impact"] > alert["top_columns"][named.index("ignored")]["impact"]

    # The report: the drift table's features, and the impact table, both with the important column first.
    html = (tmp_path / "reports" / result.report_path).read_text()
    assert "Does the drift matter to the model?" in html and "Impact on the model" in html
    drift_rows = [m for m in re.findall(r'"column_name": "(\w+)"', html) if m in ("important", "ignored")]
    assert drift_rows[:2] == ["important", "ignored"], drift_rows

    # The monitor's page: the heat map's rows, the column that moved the model on top.
    with store.session() as session:
        [columns, *_] = monitor_view(session, config.monitors[0], now).heat_maps
    assert columns.rows[0] == "important" and columns.rows.index("ignored") > 0, columns.rows
