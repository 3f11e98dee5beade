"""Bad input, fuzzed: generated config files and generated prediction logs (strategies and checks shared by
the short version in the tests and the long one in bench/drills.py)."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from hypothesis import strategies as st

from monitor.config import parse_config
from monitor.errors import ConfigError
from monitor.runner import Runner
from monitor.store import Store
from monitor.windows import Window

SECRET = "s3cr3t-Fuzz-Value"

# ---- configuration files -------------------------------------------------------------------------------


def base_config() -> dict[str, Any]:
    return {
        "service": {"store_url": "sqlite:///store.db", "reports_dir": "reports", "http_listen": "127.0.0.1:9308"},
        "alerting": {"repeat_interval": "4h", "give_up_after": "24h"},
        "sources": {"main": {"url": "sqlite:///predictions.db"}},
        "channels": {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "${HOOK_SECRET}"}},
        "monitors": [
            {
                "name": "credit",
                "source": "main",
                "table": "predictions",
                "timestamp_column": "ts",
                "numerical_features": ["age", "income"],
                "categorical_features": ["region"],
                "prediction_column": "score",
                "target_column": "label",
                "task": "binary_classification",
                "schedule": "0 * * * *",
                "window": "1h",
                "reference": {"last": "7d", "offset": "1d"},
                "rules": [{"name": "drift", "metric": "drift.share", "above": 0.3, "channels": ["hook"]}],
            }
        ],
    }


def toml(value: Any, top: bool = True) -> str:
    """A small TOML writer for what the strategies make (every key quoted, tables inline)."""
    if top:
        return "".join(f"{json.dumps(str(k))} = {toml(v, False)}\n" for k, v in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v, False) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {toml(v, False)}" for k, v in value.items()) + "}"


scalars = st.one_of(
    st.text(max_size=30),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["15x", "-1h", "0s", "1h30", "* * *", "61 * * * *", "${UNSET_VAR}", "${HOOK_SECRET}", "", "7d"]),
    st.sampled_from(["drift.share", "nope.metric", "above", "sqlite:///", "postgresql://u:${HOOK_SECRET}@h/db"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def config_texts(draw) -> str:
    config = base_config()
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(config)
        path = draw(st.sampled_from(paths))
        parent = config
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        else:
            parent[path[-1]] = draw(values)
    text = toml(config)
    if draw(st.booleans()) and draw(st.booleans()):  # now and then, not TOML at all
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(min_size=1, max_size=5)) + text[at:]
    return text


def check_config(text: str, outcomes: Counter) -> None:
    """Valid, or one ConfigError of one line that names where and never shows a secret; nothing else."""
    try:
        parse_config(text, environ={"HOOK_SECRET": SECRET}, base_dir=Path("/tmp"))
    except ConfigError as error:
        message = str(error)
        assert message and "\n" not in message.strip(), message
        assert SECRET not in message, message
        outcomes["refused"] += 1
        return
    outcomes["valid"] += 1


# ---- prediction logs -----------------------------------------------------------------------------------

WINDOW = Window(datetime(2026, 11, 20, 12, tzinfo=UTC), datetime(2026, 11, 20, 13, tzinfo=UTC))
NAMES = ["age", "select", "from", "a b", 'quo"te', "it's", "ünïcödé", "列", "drop table x;--", "Ts2", "x" * 60]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.integers(-(2**62), 2**62),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0]),
)
mixed = st.one_of(numbers, st.text(max_size=6), st.booleans())
categories = st.one_of(st.none(), st.sampled_from(["a", "b", "", " ", "ünï", "NULL", "1", "1.0"]), st.integers(0, 3))


@st.composite
def prediction_logs(draw) -> dict[str, Any]:
    numerical, categorical = draw(st.lists(st.sampled_from(NAMES), min_size=3, max_size=3, unique_by=str.lower)), None
    numerical, categorical = numerical[:2], numerical[2]
    rows = draw(st.integers(0, 40))
    in_window = st.floats(-0.2, 1.2).map(lambda f: WINDOW.start + (WINDOW.end - WINDOW.start) * f)
    reference = st.floats(-24.0, -1.0).map(lambda h: WINDOW.start + timedelta(hours=h))
    times = draw(st.lists(st.one_of(in_window, reference), min_size=rows, max_size=rows))
    if times and draw(st.booleans()):
        times = times + times[: draw(st.integers(0, len(times)))]  # duplicated timestamps
    values_of = mixed if draw(st.integers(0, 4)) == 0 else numbers
    # Plain lists: the frame is built in check_log, so nothing but hypothesis's own draws shapes the data
    # (a strategy whose drawing depends on anything else is refused as flaky).
    columns = {
        "ts": times,
        numerical[0]: draw(st.lists(values_of, min_size=len(times), max_size=len(times))),
        numerical[1]: draw(st.lists(numbers, min_size=len(times), max_size=len(times))),
        categorical: draw(st.lists(categories, min_size=len(times), max_size=len(times))),
    }
    return {
        "columns": columns,
        "numerical": numerical,
        "categorical": categorical,
        "timestamps": draw(st.sampled_from(["naive", "aware_text", "epoch"])),
        "min_rows": draw(st.integers(1, 5)),
    }


def check_log(directory: Path, case: dict[str, Any], outcomes: Counter) -> None:
    """Every run ends ok, skipped or failed with a reason; never an exception, never an internal error."""
    source = f"sqlite:///{directory / 'log.db'}"
    frame = pd.DataFrame(case["columns"])
    if case["timestamps"] == "naive":
        frame["ts"] = [t.replace(tzinfo=None) for t in frame["ts"]]
    elif case["timestamps"] == "aware_text":
        frame["ts"] = [t.astimezone(UTC).isoformat() for t in frame["ts"]]
    else:
        frame["ts"] = [t.timestamp() for t in frame["ts"]]
    for column in frame.columns[1:]:
        frame[column] = frame[column].astype(object)
    engine = sa.create_engine(source)
    with engine.begin() as connection:
        frame.to_sql("predictions", connection, index=False, if_exists="replace")
    engine.dispose()
    config = parse_config(
        f"""
[service]
store_url = "sqlite:///{directory / "store.db"}"
reports_dir = "{directory / "reports"}"

[sources.main]
url = "{source}"

[[monitors]]
name = "fuzz"
source = "main"
table = "predictions"
timestamp_column = "ts"
numerical_features = {json.dumps(case["numerical"], ensure_ascii=False)}
categorical_features = {json.dumps([case["categorical"]], ensure_ascii=False)}
every = "1h"
window = "1h"
reference = {{ last = "1d" }}
min_rows = {case["min_rows"]}
""",
        base_dir=directory,
    )
    store = Store(config.service.store_url)
    store.ensure_schema()
    try:
        result = Runner(config, store, owner="fuzz").run(config.monitors[0], WINDOW, force=True)
    finally:
        store.dispose()
    assert result.status in ("ok", "skipped", "failed"), result
    if result.status != "ok":
        assert result.reason, result
    assert "internal error" not in (result.reason or ""), result.reason
    outcomes[result.status] += 1
