"""Plotly charts as plain specifications (lists and dicts), laid out as plotly's own Figure lays them out, its
default template included. Building a Figure validates every property through plotly's classes: for a small
run's one line chart that cost more than the rest of the report's charts together (bench/README.md)."""

from __future__ import annotations

import functools
from typing import Any


def with_template(layout: dict[str, Any]) -> dict[str, Any]:
    """`layout` with the template a new plotly Figure would carry (plotly's default, "plotly")."""
    import plotly.io as pio

    return {**layout, "template": _template(pio.templates.default)}


@functools.cache
def _template(name: str) -> dict[str, Any]:
    import plotly.io as pio

    return pio.templates[name].to_plotly_json()
