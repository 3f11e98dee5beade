"""The HTML page around a report's widgets, for Evidently's dashboard script to draw.

What the script needs of the page: the dashboard's JSON and its detail graphs by id as two global variables
(`<id>` and `additional_graphs_<id>`), an element to draw into, `global` defined (the bundle expects Node's),
the Material Icons font its widgets' icons use, and a call to `window.drawDashboard` once the script is
loaded. Written here rather than by Evidently's file_html_template so a run does not import Evidently.
"""

from __future__ import annotations

import base64
import html
from functools import lru_cache

from monitor.report_scripts import evidently_static

FONT = "material-ui-icons.woff2"

_STYLE = """<style>
@font-face {
  font-family: 'Material Icons';
  font-style: normal;
  font-weight: 400;
  src: url(data:font/woff2;base64,%s) format('woff2');
}
.material-icons {
  font-family: 'Material Icons';
  font-weight: normal;
  font-style: normal;
  font-size: 24px;
  line-height: 1;
  letter-spacing: normal;
  text-transform: none;
  display: inline-block;
  white-space: nowrap;
  word-wrap: normal;
  direction: ltr;
  text-rendering: optimizeLegibility;
  -webkit-font-smoothing: antialiased;
}
.center-align { text-align: center; }
</style>"""


@lru_cache(maxsize=1)
def _style() -> str:
    """The icons' font inline: a report opens with no network, and the daemon's pages allow fonts from data: only."""
    return _STYLE % base64.b64encode((evidently_static() / FONT).read_bytes()).decode()


def page(*, title: str, dashboard_id: str, data_block: str, script_src: str, heading: str) -> str:
    """The page: `data_block` a <script> element defining the dashboard's two variables, `heading` HTML shown
    above the widgets, `script_src` where Evidently's script is, relative to the page."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
{_style()}
{data_block}
</head>
<body style="margin:0">
{heading}
<div id="root_{dashboard_id}"></div>
<script>var global = globalThis</script>
<script src="{html.escape(script_src)}"></script>
<script>
window.drawDashboard({dashboard_id}, new Map(Object.entries(additional_graphs_{dashboard_id})), "root_{dashboard_id}");
</script>
</body>
</html>
"""
