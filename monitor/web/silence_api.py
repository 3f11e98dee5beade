"""The silence API's requests and answers as plain values: what a POST body asks for, what a silence looks like."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from alerts.models import Silence
from alerts.rules import FAILED_RUNS_RULE
from monitor.config import Config
from monitor.times import iso, parse_duration

FIELDS = ("monitor", "rule", "for", "reason")
EXAMPLE = '{"monitor": "credit-scoring", "for": "2h", "reason": "retraining, drift expected"}'
# A silence longer than this is a rule someone should change instead.
LONGEST = timedelta(days=90)


@dataclass(frozen=True)
class SilenceRequest:
    monitor: str
    rule: str | None  # None: every rule of the monitor
    length: timedelta
    reason: str


def parse_silence_request(body: bytes, config: Config) -> SilenceRequest:
    """The silence a POST body asks for; a ValueError with one message saying what is wrong and how to write it."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the body is not JSON ({error}); send e.g. {EXAMPLE}") from None
    if not isinstance(data, dict):
        raise ValueError(f"the body must be a JSON object, e.g. {EXAMPLE}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValueError(f'unknown field "{unknown[0]}"; the fields are {", ".join(FIELDS)}')
    monitor = next((m for m in config.monitors if m.name == data.get("monitor")), None)
    if not isinstance(data.get("monitor"), str) or monitor is None:
        known = ", ".join(m.name for m in config.monitors) or "none"
        raise ValueError(f'"monitor": {_shown(data.get("monitor"))} is not a monitor (monitors: {known})')
    rule = data.get("rule")
    rules = [r.name for r in monitor.rules] + [FAILED_RUNS_RULE]
    if rule is not None and rule not in rules:
        raise ValueError(f'"rule": {_shown(rule)} is not a rule of "{monitor.name}" (rules: {", ".join(rules)})')
    try:
        length = parse_duration(data.get("for"))
    except ValueError as error:
        raise ValueError(f'"for": {error}') from None
    if length > LONGEST:
        raise ValueError(f'"for": at most {LONGEST.days}d; for longer, change or remove the rule')
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise ValueError('"reason": say why in at most 1000 characters, e.g. "retraining, drift expected"')
    return SilenceRequest(monitor.name, rule, length, reason.strip())


def _shown(value: Any) -> str:
    return "missing" if value is None else json.dumps(value)[:100]


def silence_json(row: Silence) -> dict[str, Any]:
    return {
        "id": row.id,
        "monitor": row.monitor,
        "rule": row.rule,
        "reason": row.reason,
        "created_at": iso(row.created_at),
        "ends_at": iso(row.ends_at),
        "created_by": row.created_by,
    }
