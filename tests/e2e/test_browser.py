"""The reports site and an Evidently report in a real headless Chromium (Debian's), with no network."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import metric_names
from monitor.config import load_config
from monitor.service.prom import DaemonMetrics
from monitor.store import Store
from monitor.times import utc_now
from monitor.web.http import HttpContext, HttpServer
from tests.conftest import IN_CI
from tests.e2e.cli import drifthound

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "tests" / "screenshots"
ACCURACY_FLOOR = 0.65  # the demo's "accuracy floor" rule


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message + "; CI must run the browser tests", pytrace=False)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(demo_data, tmp_path_factory):
    directory = tmp_path_factory.mktemp("browser")
    shutil.copy(demo_data / "predictions.db", directory / "predictions.db")
    # The demo's own config: its "accuracy floor" rule is a fixed threshold on a quality figure, drawn as a line.
    shutil.copy(demo_data / "config.toml", directory / "config.toml")
    checked = drifthound("check", "-c", str(directory / "config.toml"))
    assert checked.returncode == 0, checked.stderr
    # A history across the drift's start: three hours with outcomes, three drifted ones still waiting for theirs.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    span = [(now - timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ") for h in (27, 21)]
    config_path = str(directory / "config.toml")
    filled = drifthound("backfill", "-c", config_path, "-m", "credit-scoring", "--start", span[0], "--end", span[1])
    assert filled.returncode == 0, filled.stderr
    config = load_config(directory / "config.toml")
    store = Store(config.service.store_url)
    metrics = DaemonMetrics(store, lambda: config, utc_now)
    server = HttpServer(
        "127.0.0.1:0",
        HttpContext(
            config=lambda: config, store=store, registry=metrics.registry, healthy=lambda: (True, "ok"), clock=utc_now
        ),
    )
    server.start()
    yield f"http://{server.address}"
    server.stop()
    store.dispose()


def errors_in(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def shoot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, "a page with something on it"
    return path


def test_the_index_and_monitor_pages_render_without_errors(browser, site):
    browser.get(site + "/reports/")
    assert "DriftHound" in browser.title
    assert browser.find_elements("css selector", "svg.chart"), "trend charts"
    assert "credit-scoring" in browser.find_element("tag name", "body").text
    shoot(browser, "index")
    assert errors_in(browser) == []
    browser.find_element("link text", "credit-scoring").click()
    assert "drift share" in browser.find_element("tag name", "body").text
    shoot(browser, "monitor")
    assert errors_in(browser) == []


def test_an_evidently_report_renders_offline_without_errors(browser, site):
    browser.get(site + "/reports/credit-scoring/")
    browser.find_element("link text", "report").click()
    deadline = time.monotonic() + 30
    text = ""
    while time.monotonic() < deadline:
        text = browser.find_element("tag name", "body").text
        if "income" in text and "debt_ratio" in text:
            break
        time.sleep(0.5)
    assert "income" in text and "debt_ratio" in text, "the report's widgets rendered"
    assert "DriftHound: credit-scoring" in text
    shoot(browser, "report")
    assert errors_in(browser) == []


def test_the_monitor_page_shows_since_when_and_how_well_with_links_to_each_run(browser, site):
    """The heat map of columns x windows (the drifted columns turn at the drift's start), the quality chart with
    its band, realized squares where outcomes came and red points where the estimate left the band; every cell
    and point opens its run's report."""
    browser.get(site + "/reports/credit-scoring/")
    [columns] = [
        h for h in browser.find_elements("css selector", "svg.heat") if "drift ratio" in h.get_attribute("aria-label")
    ]
    rows = [t.text for t in columns.find_elements("css selector", "text.axis")]
    assert {"income", "debt_ratio", "channel"} <= set(rows[:3]), f"the drifted columns first: {rows}"
    cells = columns.find_elements("css selector", "a rect")
    assert len(cells) >= 7 * 9, "a linked cell per column and window"
    quality = next(
        c for c in browser.find_elements("css selector", "svg.chart") if "estimated" in c.get_attribute("aria-label")
    )
    assert quality.find_elements("css selector", "polygon.band"), "the reference band"
    assert len(quality.find_elements("css selector", "rect.realized")) >= 3, "realized where outcomes came"
    assert quality.find_elements("css selector", "circle.hit"), "the drifted hours' estimates leave the band"
    assert quality.find_elements("css selector", "circle.dot"), "the stable hours' stay in it"
    shoot(browser, "monitor-history")
    assert errors_in(browser) == []
    # SVG links: their href is the attribute as written (a path on this site).
    point = quality.find_element("xpath", ".//*[local-name()='circle' and @class='hit']/parent::*[local-name()='a']")
    browser.get(site + point.get_dom_attribute("href"))
    assert browser.title.startswith("credit-scoring, "), "the red point opens its run's report"
    browser.get(site + "/reports/credit-scoring/")
    cell = browser.find_elements("css selector", "svg.heat a")[-1]
    browser.get(site + cell.get_dom_attribute("href"))
    assert browser.title.startswith("credit-scoring, "), "a heat map cell opens its run's report"
    assert errors_in(browser) == []


def stored_quality_figures(base: str, monitor: str) -> set[str]:
    """The quality figures the store holds for the whole window (not a segment's), as the API gives them."""
    found = set()
    for metric in metric_names.QUALITY_METRICS:
        with urllib.request.urlopen(f"{base}/api/monitors/{monitor}/metrics?metric={metric}", timeout=10) as answer:
            if any(row["segment"] == "" for row in json.load(answer)):
                found.add(metric)
    return found


def test_the_monitor_page_has_a_chart_per_quality_figure_with_the_rule_s_line(browser, site):
    """Each quality figure the monitor has, realized or estimated, on a chart of its own (an estimate with its
    realized figure), every point a link to its run; a rule's fixed threshold is a labelled line in sight."""
    stored = stored_quality_figures(site, "credit-scoring")
    assert "accuracy" in stored and "estimated.accuracy" in stored, "the demo has outcomes and estimates"
    browser.get(site + "/reports/credit-scoring/")
    found = browser.find_elements("css selector", "svg.chart")
    titles = [c.get_attribute("aria-label").split(":")[0] for c in found]
    charts = dict(zip(titles, found, strict=True))
    expected = {metric_names.realized_of(m) for m in stored}
    assert all(titles.count(name) == 1 for name in expected), f"one chart per quality figure ({expected}): {titles}"
    assert not any(title.startswith("estimated.") for title in charts), "an estimate shares its figure's chart"
    for name in expected:
        points = charts[name].find_elements("css selector", "circle")
        assert points, name
        assert len(charts[name].find_elements("css selector", "a circle")) == len(points), f"{name}: each links"
    accuracy = charts["accuracy"]
    [rule] = accuracy.find_elements("css selector", "g.rule")
    label = rule.find_element("css selector", "text")
    assert label.text == f"rule: accuracy < {ACCURACY_FLOOR}" and label.is_displayed()
    line, box = rule.find_element("css selector", "line").rect, accuracy.rect
    assert box["y"] <= line["y"] <= box["y"] + box["height"], "the threshold within the chart"
    assert line["width"] > box["width"] / 2, "drawn across the chart"
    for other in expected - {"accuracy"}:
        assert not charts[other].find_elements("css selector", "g.rule"), f"{other} has no fixed-threshold rule"
    browser.execute_script("arguments[0].scrollIntoView()", accuracy)
    shoot(browser, "monitor-quality")
    assert errors_in(browser) == []


def wait_for_widgets(driver, timeout: float = 60) -> str:
    """The body's text once Evidently drew its widgets (its script comes from /reports/_static/)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = driver.find_element("tag name", "body").text
        if "income" in text and driver.find_elements("css selector", ".js-plotly-plot"):
            return text
        time.sleep(0.5)
    raise AssertionError(f"Evidently's widgets did not render: {text[:500]!r}")


def test_a_run_report_served_by_the_daemon_has_a_title_and_links_that_work(browser, served_demo):
    first, middle, last = served_demo.reports
    browser.get(f"{served_demo.base}/reports/credit-scoring/{middle.name}")
    text = wait_for_widgets(browser)
    assert browser.title.startswith("credit-scoring, ") and "UTC" in browser.title
    assert text.count("Confusion matrix") == 1 and "this window" in text and "reference" in text
    shoot(browser, "run-report")
    assert errors_in(browser) == []
    for rel, where in (("prev", first.name), ("next", last.name), ("up", "/reports/credit-scoring/")):
        browser.find_element("css selector", f'nav a[rel="{rel}"]').click()
        assert browser.current_url.endswith(where), (rel, browser.current_url)
        if rel == "up":
            assert "drift share" in browser.find_element("tag name", "body").text, "the monitor page"
        else:
            wait_for_widgets(browser)
            assert browser.title.startswith("credit-scoring, ")
        assert errors_in(browser) == [], rel
        browser.back()
        wait_for_widgets(browser)


def test_a_run_report_opens_from_the_folder_with_no_daemon(browser, served_demo):
    """file://: the shared scripts are found by their relative path; no neighbour link is stored in the file
    (they are found when the daemon serves it), so none can point at a report deleted since."""
    _, middle, _ = served_demo.reports
    browser.get(middle.as_uri())
    wait_for_widgets(browser)
    assert errors_in(browser) == []
    assert browser.find_elements("css selector", 'nav a[rel="prev"], nav a[rel="next"]') == []


def test_a_column_s_page_opens_from_the_heat_map_and_from_the_report(browser, site):
    """The heat map's row label opens the column's page: its drift ratio and quantiles over time, its distribution
    against the reference, its importance (or "not learnt"), its runs' reports; the report's drift table links
    there too; an unknown column is a 404."""
    browser.get(site + "/reports/credit-scoring/")
    label = browser.find_element(
        "xpath",
        "//*[local-name()='svg'][contains(@class,'heat')]//*[local-name()='a'][*[local-name()='text']='income']",
    )
    browser.get(site + label.get_dom_attribute("href"))
    assert browser.title == "DriftHound: credit-scoring / income"
    charts = {
        c.get_attribute("aria-label").split(":")[1].strip(): c
        for c in browser.find_elements("css selector", "svg.chart")
    }
    assert charts["drift ratio (1 and above is drift)"].find_elements("css selector", "circle.hit"), "drifted windows"
    assert len(charts["quantiles per window"].find_elements("css selector", "g.quantile polyline")) == 5
    distribution = charts["window against reference"]
    assert distribution.find_elements("css selector", "rect.reference") and distribution.find_elements(
        "css selector", "rect.window"
    )
    importance = browser.find_element("css selector", ".importance").text
    assert importance == "not learnt" or float(importance.split()[0]) >= 0, importance
    shoot(browser, "column")
    assert errors_in(browser) == []
    report = browser.find_element("css selector", "table a").get_dom_attribute("href")
    browser.get(site + report)
    assert browser.title.startswith("credit-scoring, "), "a run's row opens its report"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not browser.find_elements("link text", "debt_ratio"):
        time.sleep(0.5)
    browser.find_element("link text", "debt_ratio").click()
    assert browser.title == "DriftHound: credit-scoring / debt_ratio", "the report's drift table links the page"
    browser.get(site + "/reports/credit-scoring/columns/no%2Fsuch")
    assert "Not found" in browser.title
