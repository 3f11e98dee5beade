"""On-call at scale: a 45-column model whose columns all drift, a per-column rule (`column = "*"`) and a dataset
rule, through the real pipeline (store, rules, outbox, deliverer) to local HTTP servers: one answering as Slack
does (every block validated by Slack's own SDK), one as Alertmanager's API. Slack gets one short message per
rule; Alertmanager every alert."""

from __future__ import annotations

import json

from monitor.config import parse_config
from monitor.figures import MetricRow
from tests.alert_world import World
from tests.receivers import Receiver
from tests.slack_blocks import block_errors, slack_answer

COLUMNS = 45


def config(store_url: str, slack: str, alertmanager: str):
    return parse_config(
        f"""
[service]
store_url = "{store_url}"
public_url = "http://drifthound.test:9308"
[sources.main]
url = "sqlite://"
[[monitors]]
name = "credit"
source = "main"
table = "predictions"
timestamp_column = "ts"
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
[[monitors.rules]]
name = "dataset drift"
metric = "drift.share"
above = 0.3
severity = "critical"
channels = ["slack", "am"]
[[monitors.rules]]
name = "column drift"
metric = "drift.ratio"
column = "*"
above = 1.0
severity = "warning"
channels = ["slack", "am"]
[channels.slack]
type = "slack"
webhook_url = "{slack}"
timeout = "2s"
[channels.am]
type = "alertmanager"
url = "{alertmanager}"
timeout = "2s"
""",
        environ={},
    )


def every_column_drifts() -> tuple[tuple[MetricRow, ...], dict[str, float]]:
    """Each column beyond its threshold by a different ratio (the worst not simply the last)."""
    ratios = {f"feature_{i}": round(1.2 + ((i * 7) % COLUMNS) * 0.13, 2) for i in range(COLUMNS)}
    rows = []
    for column, ratio in ratios.items():
        method = "Wasserstein distance (normed)"
        rows += [
            MetricRow("drift.score", column, ratio * 0.1, method),
            MetricRow("drift.threshold", column, 0.1, method),
            MetricRow("drift.ratio", column, ratio, method),
            MetricRow("drift.detected", column, 1.0, method),
        ]
    return tuple(rows), ratios


def test_forty_five_drifting_columns_make_one_short_slack_message_and_46_alertmanager_alerts(database_url, httpserver):
    slack = Receiver(httpserver, "/slack", judge=slack_answer)
    alertmanager = Receiver(httpserver, "/am/api/v2/alerts")
    world = World(database_url, config(database_url, slack.url, httpserver.url_for("/am")))
    rows, ratios = every_column_drifts()
    queued = world.run(1, rows=rows, share=1.0)
    assert sorted(m.channel for m in queued) == ["am", "slack"]
    assert world.deliverer().drain(10) == 0, "Slack accepted the message (it refuses invalid or long blocks)"

    [message] = slack.bodies
    blocks = message["blocks"]
    assert block_errors(blocks) == []
    assert len(blocks) <= 50
    assert len(json.dumps(blocks, ensure_ascii=False)) <= 12000
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    text = json.dumps(blocks)
    assert text.count("top columns:") == 1, "the top-columns line once per message, not per alert"
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "*" in b["text"]["text"]]
    assert len(sections) == 2, "one section per rule"
    dataset, columns = sections
    assert "*dataset drift*" in dataset and "drift.share 100%, above 30%" in dataset
    worst = sorted(ratios, key=lambda c: -ratios[c])
    assert "*column drift* (warning, new): 45 columns, drift.ratio above 1x: " in columns
    listed = columns.split("drift.ratio above 1x: ")[1].split(", ...")[0].split(", ")
    assert len(listed) >= 5
    assert listed == [f"{c} {ratios[c]:.3g}x" for c in worst[: len(listed)]], "worst first, with their figures"
    assert f"... and {COLUMNS - len(listed)} more (<http://drifthound.test:9308/reports/credit/|monitor page>)" in (
        columns
    )
    # The plain fallback says the same in the same words.
    assert message["text"].startswith("FIRING: credit (46 firing)")
    assert (
        f"column drift (warning, new): 45 columns, drift.ratio above 1x: {worst[0]} {ratios[worst[0]]:.3g}x"
        in (message["text"])
    )

    [pushed] = alertmanager.bodies
    assert len(pushed) == COLUMNS + 1, "Alertmanager gets every alert: it groups them itself"
    assert sorted(a["labels"].get("column", "") for a in pushed) == sorted(["", *ratios])
