"""A run report's page: its links to the neighbouring runs, kept right as reports come, and one confusion matrix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from monitor import report_nav
from monitor.evaluation.model_quality import _aligned
from monitor.reports import write_report

HOUR = datetime(2026, 11, 30, 3, tzinfo=UTC)


def page(monitor: str = "m") -> str:
    return f"<html><body>{report_nav.header(monitor, 'a window')}<div>widgets</div></body></html>"


def links_of(path: Path) -> dict[str, str]:
    return dict(re.findall(r'rel="(\w+)" class="drifthound-\w+" href="([^"]+)"', path.read_text()))


def test_neighbours_are_the_closest_stamps_either_side():
    stamps = ["20261130T010000Z", "20261130T030000Z", "20261130T050000Z"]
    assert report_nav.neighbours(stamps, "20261130T030000Z") == report_nav.Neighbours(stamps[0], stamps[2])
    assert report_nav.neighbours(stamps, "20261130T040000Z") == report_nav.Neighbours(stamps[1], stamps[2])
    assert report_nav.neighbours(stamps, "20261130T050000Z") == report_nav.Neighbours(stamps[1], None)
    assert report_nav.neighbours([], "20261130T050000Z") == report_nav.Neighbours(None, None)


def test_a_page_without_links_is_left_as_it_was():
    assert report_nav.with_links("<html>older</html>", report_nav.Neighbours("a", "b")) == "<html>older</html>"


def test_the_header_escapes_the_monitor_and_says_the_newest_has_no_next_run_yet():
    header = report_nav.header("<m>", "a window")
    assert "&lt;m&gt;" in header and 'href="./"' in header and "next run: none yet" in header


def test_reports_written_in_any_order_link_to_their_neighbours(tmp_path):
    for hours in (0, 2, 1):  # the middle window caught up last
        write_report(tmp_path, "m", HOUR + timedelta(hours=hours), page(), {})
    folder = tmp_path / "m"
    first, middle, last = (folder / f"2026113{0}T0{h}0000Z.html" for h in (3, 4, 5))
    assert links_of(first) == {"up": "./", "next": middle.name}
    assert links_of(middle) == {"up": "./", "prev": first.name, "next": last.name}
    assert links_of(last) == {"up": "./", "prev": middle.name}
    assert "next run: none yet" in last.read_text()


def test_a_report_written_again_keeps_its_neighbours(tmp_path):
    for hours in (0, 1, 0):
        write_report(tmp_path, "m", HOUR + timedelta(hours=hours), page(), {})
    assert links_of(tmp_path / "m" / "20261130T030000Z.html") == {"up": "./", "next": "20261130T040000Z.html"}


def test_a_matrix_is_laid_on_every_class_by_name():
    counts = np.array([[5, 1], [2, 3]])
    laid = _aligned(["a", "b", "c"], ["c", "a"], counts)
    assert laid.tolist() == [[3, 0, 2], [0, 0, 0], [1, 0, 5]]
