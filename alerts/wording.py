"""How bad, since when, and why now: the words every channel shows for an alert. Pure.

A value is shown beside its threshold in the metric's unit (shares as percentages,
counts as whole numbers, `drift.ratio` as "2.3x") or as a ratio to the threshold; verdict metrics
(`drift.detected`) as words; how long an alert has fired as a duration of its windows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from alerts.grouping import RuleGroup
from alerts.notices import AlertNotice, Notification

_COUNTS = ("monitor.failed_runs", "rows", "reference_rows", "windows.dropped")
_SHARES = ("labels.coverage",)
_RATIOS = ("drift.ratio",)  # already a statistic over its threshold
MARKERS = {"first_notification": "new", "reminder": "reminder", "resolved": "resolved"}
# A rule's line in the plain text (Slack's fallback, the log): long enough for a dozen columns.
LINE_BUDGET = 600
# A rule's columns or segments named in a message, worst first; the rest are counted ("and 40 more"): on-call
# reads the worst few at 3 a.m., the monitor page has them all.
ITEMS_SHOWN = 5


def is_verdict(metric: str) -> bool:
    return metric.endswith(".detected")


def is_share(metric: str) -> bool:
    return metric.endswith(".share") or metric in _SHARES


def is_ratio(metric: str) -> bool:
    return metric in _RATIOS


def is_count(metric: str) -> bool:
    return metric.endswith(".count") or metric in _COUNTS


def rounded(value: float) -> str:
    """Three significant digits, never an exponent for everyday magnitudes."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 0.001:
        return f"{value:.3g}"
    return f"{value:.1e}"


def percent(share: float) -> str:
    points = share * 100
    if points == 0 or abs(points) >= 10:
        return f"{points:.0f}%"
    if abs(points) >= 1:
        return f"{points:.1f}%"
    return f"{points:.2g}%"


def in_unit(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if is_share(metric):
        return percent(value)
    if is_count(metric):
        return f"{value:,.0f}"
    if is_ratio(metric):
        return f"{rounded(value)}x"
    return rounded(value)


def subject(alert: AlertNotice) -> str:
    column = f" [{alert.column}]" if alert.column else ""
    segment = f" in {alert.segment}" if alert.segment else ""
    return f"{alert.metric}{column}{segment}"


def how_bad(alert: AlertNotice) -> str:
    """E.g. "drift.share 42%, above 30%", "accuracy 0.62, below 0.7 (0.89x the threshold)", "drift.detected
    [income]: drifted"."""
    if is_verdict(alert.metric):
        return f"{subject(alert)}: {_verdict(alert.value)}"
    if alert.value is None:
        return f"{subject(alert)} n/a"
    shown = f"{subject(alert)} {in_unit(alert.metric, alert.value)}"
    if alert.op == "outside_reference" and alert.reference is not None:
        return f"{shown}, {_beside_reference(alert.metric, alert.reference)}"
    if alert.threshold is None:
        return shown
    return f"{shown}, {_beside_threshold(alert)}"


def duration(since: str | None, until: str) -> str | None:
    """The span from the first breaching window's start to the newest window's end, e.g. "24 h"."""
    if since is None:
        return None
    seconds = (_parse(until) - _parse(since)).total_seconds()
    if seconds <= 0:
        return None
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 10 and rest:
        return f"{hours} h {rest} min"
    if hours < 48:
        return f"{round(minutes / 60)} h"
    days, hours = divmod(round(minutes / 60), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def since_when(alert: AlertNotice) -> str | None:
    """ "firing for 24 h" or "resolved after 5 h"."""
    span = duration(alert.since, alert.window_end)
    if span is None:
        return None
    return f"resolved after {span}" if alert.status == "resolved" else f"firing for {span}"


def marker(alert: AlertNotice) -> str:
    return MARKERS.get(alert.reason, alert.reason)


def alert_line(alert: AlertNotice) -> str:
    """One line per alert, the same in Slack's fallback text and the log: what, how bad, since when, why now."""
    parts = [f"{alert.rule} ({alert.severity}, {marker(alert)}): {how_bad(alert)}"]
    when = since_when(alert)
    if when:
        parts.append(when)
    return " · ".join(parts)


def group_head(group: RuleGroup) -> str:
    """ "column drift (warning, new)", "column drift (warning, 3 new, 42 reminder)"."""
    counts = Counter(marker(alert) for alert in group.alerts)
    words = sorted(counts, key=lambda word: [*MARKERS.values(), word].index(word))
    markers = words[0] if len(words) == 1 else ", ".join(f"{counts[word]} {word}" for word in words)
    return f"{group.rule} ({group.severity}, {markers})"


def group_body(
    group: RuleGroup,
    *,
    budget: int | None = None,
    measure: Callable[[str], int] = len,
    more: Callable[[int], str] | None = None,
) -> tuple[str, int]:
    """What a rule's group says after its head, within `budget` (as `measure` counts), and how many of its
    columns or segments were left out. One alert reads as `alert_line` does; several as "45 columns,
    drift.ratio above 1x: feature_18 7.2x, feature_17 7.1x, ... and 40 more · firing for 3 h"."""
    more = more or (lambda n: f", ... and {n} more")
    if group.single:
        [alert] = group.alerts
        when = since_when(alert)
        text = " · ".join([how_bad(alert), *([when] if when else [])])
        return (text if budget is None or measure(text) <= budget else _cut_to(text, budget, measure)), 0
    longest = min((a for a in group.alerts if a.since), key=lambda a: a.since or "", default=group.alerts[0])
    when = since_when(longest)
    prefix = f"{_count(group)}, {_criterion(group.alerts[0])}: "
    suffix = f" · {when}" if when else ""
    items = [_item(alert) for alert in group.alerts]
    shown = min(len(items), ITEMS_SHOWN)
    if budget is not None:
        fits = shown
        shown = 0
        while shown < fits:
            left = len(items) - shown - 1
            candidate = prefix + ", ".join(items[: shown + 1]) + (more(left) if left else "") + suffix
            if measure(candidate) > budget:
                break
            shown += 1
    left = len(items) - shown
    text = prefix + ", ".join(items[:shown]) + (more(left) if left else "") + suffix
    if budget is not None and measure(text) > budget:
        text = _cut_to(text, budget, measure)
    return text, left


def group_line(group: RuleGroup, budget: int = LINE_BUDGET) -> str:
    """A rule's line, the same in Slack's fallback text and the log."""
    body, _ = group_body(group, budget=budget - len(group_head(group)) - 2)
    return f"{group_head(group)}: {body}"


def _count(group: RuleGroup) -> str:
    if all(a.column and not a.segment for a in group.alerts):
        noun = "columns"
    elif all(a.segment and not a.column for a in group.alerts):
        noun = "segments"
    else:
        noun = "alerts"
    return f"{len(group.alerts)} {noun}"


def _criterion(alert: AlertNotice) -> str:
    """What the rule asks of its metric: "drift.ratio above 1x"."""
    if is_verdict(alert.metric) or alert.threshold is None:
        return alert.metric
    if alert.op == "outside_reference":
        return f"{alert.metric} outside its usual range"
    return f"{alert.metric} {alert.op} {in_unit(alert.metric, alert.threshold)}"


def _item(alert: AlertNotice) -> str:
    """ "feature_18 7.2x", "region=north 42%", "income in region=north drifted"."""
    label = " in ".join(part for part in (alert.column, alert.segment) if part)
    figure = _verdict(alert.value) if is_verdict(alert.metric) else in_unit(alert.metric, alert.value)
    return f"{label} {figure}" if label else figure


def _cut_to(text: str, budget: int, measure: Callable[[str], int]) -> str:
    while text and measure(text + "…") > budget:
        text = text[: max(0, len(text) - max(1, (measure(text) - budget) // 2))]
    return text + "…"


def headline(notification: Notification) -> str:
    """ "FIRING: credit (3 firing, 1 new)", "FIRING: credit (4 firing, reminder)"; counts over every listed alert."""
    firing = [a for a in notification.alerts if a.status == "firing"]
    new = sum(1 for a in firing if a.reason == "first_notification")
    resolved = len(notification.alerts) - len(firing)
    parts = [f"{len(firing)} firing"] if firing else []
    if 0 < new < len(firing):
        parts.append(f"{new} new")
    if resolved:
        parts.append(f"{resolved} resolved")
    if firing and not new and not resolved:
        parts.append("reminder")
    prefix = "[TEST] " if notification.test else ""
    return f"{prefix}{notification.status.upper()}: {notification.monitor} ({', '.join(parts) or 'no alerts'})"


def _verdict(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "drifted" if value >= 0.5 else "not drifted"


def _beside_threshold(alert: AlertNotice) -> str:
    value, threshold = alert.value, alert.threshold
    assert value is not None and threshold is not None
    if alert.op == "outside" and value <= threshold:
        return "outside its bounds"
    relation = "above" if value > threshold else "below" if value < threshold else "at"
    text = f"{relation} {in_unit(alert.metric, threshold)}"
    if alert.op == "outside_reference":
        return f"{text}, the edge of its usual range"
    if is_share(alert.metric) or is_count(alert.metric) or is_ratio(alert.metric) or threshold == 0:
        return text
    return f"{text} ({value / threshold:.2g}x the threshold)"


def _beside_reference(metric: str, reference: tuple[float, float, float]) -> str:
    mean, std, k = reference
    low, high = in_unit(metric, mean - k * std), in_unit(metric, mean + k * std)
    return f"outside its usual {low}..{high} (reference mean {in_unit(metric, mean)}, {k:g} std)"


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))
