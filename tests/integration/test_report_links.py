"""Reports that keep their links: after housekeeping deleted old reports (and a hand deleted one more), no link
on the site or in a served report points at a missing file, and _static/ keeps only the scripts reports use.

Real runs write real reports into a real store; the daemon's HTTP server serves them; a crawler follows every
link and script of every page it reaches."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from monitor.runner import Runner
from monitor.service.housekeeping import housekeep
from monitor.store import Store
from monitor.windows import Window
from tests.helpers import T0, monitor_config, predictions, write_table
from tests.integration.test_http import serving

HOURS = 5
OLD_SCRIPTS = "evidently-0.0.1-older"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def crawl(base: str) -> dict[str, int]:
    """Every same-origin address reachable from /reports/ through href and src, with its HTTP status."""
    origin = urlsplit(base).netloc
    seen: dict[str, int] = {}
    todo = [f"{base}/reports/"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                status, kind, body = answer.status, answer.headers.get("Content-Type", ""), answer.read()
        except urllib.error.HTTPError as error:
            seen[url] = error.code
            continue
        seen[url] = status
        if not kind.startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(body.decode())
        for link in parser.found:
            target = urljoin(url, link).split("#", 1)[0]
            if urlsplit(target).scheme in ("http", "https") and urlsplit(target).netloc == origin:
                todo.append(target)
    return seen


def test_no_link_points_at_a_deleted_report_or_script(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'log.db'}"
    write_table(source, "predictions", predictions(150, hours=30), timestamps="naive")
    config = monitor_config(tmp_path, source, min_rows=20)
    store = Store(config.service.store_url)
    store.ensure_schema()
    runner = Runner(config, store, owner="test")
    ends = [T0 + timedelta(hours=25 + hour) for hour in range(HOURS)]
    for end in ends:
        result = runner.run(config.monitors[0], Window(end - timedelta(hours=1), end))
        assert result.status == "ok" and result.report_path, result.reason
    reports = config.service.reports_dir
    folder = reports / "credit"
    files = [folder / f"{end:%Y%m%dT%H%M%SZ}.html" for end in ends]
    # The two oldest were drawn by an older Evidently, whose scripts nothing else uses.
    static = reports / "_static"
    (current,) = [p.name for p in static.iterdir()]
    (static / OLD_SCRIPTS).mkdir()
    (static / OLD_SCRIPTS / "index.js").write_text("window.drawDashboard = () => 0;\n")
    for file in files[:2]:
        file.write_text(file.read_text().replace(f"_static/{current}/", f"_static/{OLD_SCRIPTS}/"))

    with serving(config, Store(config.service.store_url)) as base:
        before = crawl(base)
    assert {url: status for url, status in before.items() if status != 200} == {}
    assert all(any(url.endswith(f"/reports/credit/{file.name}") for url in before) for file in files)
    assert any(url.endswith(f"/{OLD_SCRIPTS}/index.js") for url in before)

    # Retention takes the two oldest windows (rows and files); someone deletes the middle report by hand.
    purged = housekeep(store, reports, before=ends[2] - timedelta(minutes=30))
    assert (purged.runs, purged.reports, purged.scripts) == (2, 4, 0), "the old scripts were touched today"
    files[3].unlink()
    old = (ends[0] - timedelta(days=400)).timestamp()
    os.utime(static / OLD_SCRIPTS, (old, old))
    purged = housekeep(store, reports, before=ends[2] - timedelta(minutes=30))
    assert purged.scripts == 1 and sorted(p.name for p in static.iterdir()) == [current]

    with serving(config, Store(config.service.store_url)) as base:
        after = crawl(base)
        with urllib.request.urlopen(f"{base}/reports/credit/{files[4].name}", timeout=10) as answer:
            newest = answer.read().decode()
    broken = {url: status for url, status in after.items() if status != 200}
    assert broken == {}, f"links to missing files: {broken}"
    reached = sorted(re.sub(r".*/", "", url) for url in after if re.search(r"/credit/\d{8}T\d{6}Z\.html$", url))
    assert reached == [files[2].name, files[4].name], "the reports left, and only them, are reached"
    assert f'rel="prev" class="drifthound-prev" href="{files[2].name}"' in newest, "the neighbour skips the gap"
    store.dispose()
