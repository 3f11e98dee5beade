"""`drifthound metrics`: stored figures as CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from typing import TextIO

from monitor.commands.context import monitor_argument, open_context, time_argument
from monitor.store import history
from monitor.times import iso

FIELDS = ("window_start", "window_end", "metric", "column", "segment", "value")


def metrics(
    config_file: str | None,
    monitor: str,
    *,
    since: str | None = None,
    metric: str | None = None,
    column: str | None = None,
    segment: str | None = None,
    output: str = "csv",
    out: TextIO = sys.stdout,
) -> int:
    context = open_context(config_file)
    item = monitor_argument(context.config, monitor)
    start = time_argument(since, "--since")
    with context.store.reading() as session:
        rows = history.figures(session, item.name, since=start, metric=metric, column=column, segment=segment)
    records = [
        {
            "window_start": iso(r.window_start),
            "window_end": iso(r.window_end),
            "metric": r.metric,
            "column": r.column,
            "segment": r.segment,
            "value": r.value,
        }
        for r in rows
    ]
    if output == "json":
        json.dump(records, out, indent=None)
        out.write("\n")
    else:
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({**record, "value": "" if record["value"] is None else repr(record["value"])})
    return 0
