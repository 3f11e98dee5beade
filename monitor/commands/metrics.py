"""`drifthound metrics`: stored figures as CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from typing import TextIO

from monitor.commands.context import monitor_argument, open_context, since_argument
from monitor.commands.filters import check_choice, configured_columns, known_metrics
from monitor.store import history
from monitor.times import iso, utc_now

# `method`, last: which statistic a drift score is (its unit differs by method); empty for other figures.
FIELDS = ("window_start", "window_end", "metric", "column", "segment", "value", "method")


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
    start = since_argument(since, "--since", now=utc_now())
    with context.store.reading() as session:

        def stored(field: str):
            return lambda: history.stored_names(session, item.name, field)

        for flag, value, known in (
            ("--metric", metric, known_metrics()),
            ("--column", column, configured_columns(item)),
            ("--segment", segment, frozenset({""})),
        ):
            if value is not None:
                check_choice(flag, value, known, stored(flag.removeprefix("--")))
        rows = history.figures(session, item.name, since=start, metric=metric, column=column, segment=segment)
    records = [
        {
            "window_start": iso(r.window_start),
            "window_end": iso(r.window_end),
            "metric": r.metric,
            "column": r.column,
            "segment": r.segment,
            "value": r.value,
            "method": r.method or "",
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
