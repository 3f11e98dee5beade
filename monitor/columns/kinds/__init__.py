"""The kinds of columns, one module each, behind one registry: adding a kind is one new module here.

DETECTION is the order inference tries them in: what never changes meaning first (dates, vectors), then keys
(before text: a UUID's parts read as words), then free text, numbers, and categories last (anything else).
"""

from __future__ import annotations

from monitor.columns.kinds import categorical, embedding, identifier, numerical, text, timestamp
from monitor.columns.kinds.base import Judgement, Kind

DETECTION: tuple[Kind, ...] = (
    timestamp.KIND,
    embedding.KIND,
    identifier.KIND,
    text.KIND,
    numerical.KIND,
    categorical.KIND,
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in DETECTION}
BY_CONFIG_KEY: dict[str, Kind] = {kind.config_key: kind for kind in DETECTION if kind.config_key is not None}

__all__ = ["BY_CONFIG_KEY", "DETECTION", "KINDS", "Judgement", "Kind"]
