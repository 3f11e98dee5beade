"""A message's alerts grouped by rule: one group per rule and status, its columns or segments worst first. Pure.

A `column = "*"` rule over 45 drifting columns is one thing to read ("column drift: 45 columns, ..."), not
45 sections; the webhook and Alertmanager payloads still carry every alert (they are for machines).
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.notices import AlertNotice


@dataclass(frozen=True)
class RuleGroup:
    """The alerts of one rule in one status (firing or resolved), worst first."""

    rule: str
    severity: str
    status: str
    alerts: tuple[AlertNotice, ...]

    @property
    def single(self) -> bool:
        return len(self.alerts) == 1

    @property
    def runbook_url(self) -> str | None:
        return self.alerts[0].runbook_url


def beyond(alert: AlertNotice) -> float:
    """How far past its threshold an alert's figure is, relative to the threshold: what "worst" ranks by.

    Scores of different metrics are in different units; within one rule they share a metric and a
    threshold, so the distance over the threshold orders them."""
    value = alert.value
    if value is None:
        return float("-inf")
    if alert.op == "outside_reference" and alert.reference is not None:
        mean, std, _ = alert.reference
        return abs(value - mean) / std if std > 0 else abs(value - mean)
    threshold = alert.threshold
    if threshold is None:
        return value
    if alert.op == "below":
        distance = threshold - value
    elif alert.op == "above":
        distance = value - threshold
    else:
        distance = abs(value - threshold)
    return distance / abs(threshold) if threshold else distance


def worst_first(alert: AlertNotice) -> tuple[float, float, str, str]:
    """The order within a group: columns whose drift moved the model's output most first (drift.impact, when
    measured: a small drift of an important feature before a large one of a feature the model ignores), then
    the alert furthest past its threshold."""
    if alert.impact is not None:
        return 0.0, -alert.impact, alert.column or "", alert.segment or ""
    return 1.0, -beyond(alert), alert.column or "", alert.segment or ""


def by_rule(alerts: tuple[AlertNotice, ...] | list[AlertNotice]) -> list[RuleGroup]:
    """Groups in the order their first alert comes (alerts arrive `ordered`: most severe first, firing before
    resolved); within a group, worst first (`worst_first`)."""
    groups: dict[tuple[str, str], list[AlertNotice]] = {}
    for alert in alerts:
        groups.setdefault((alert.rule, alert.status), []).append(alert)
    return [
        RuleGroup(
            rule=rule,
            severity=members[0].severity,
            status=status,
            alerts=tuple(sorted(members, key=worst_first)),
        )
        for (rule, status), members in groups.items()
    ]
