"""A run report's page: its links to the neighbouring runs, kept right as reports come, and one confusion matrix."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np

from monitor import report_nav
from monitor.evaluation.model_quality import _aligned
from monitor.reports import served_report, write_report

HOUR = datetime(2026, 11, 30, 3, tzinfo=UTC)


def page(monitor: str = "m") -> str:
    return f"<html><body>{report_nav.header(monitor, 'a window')}<div>widgets</div></body></html>"


def links_of(page: bytes | str) -> dict[str, str]:
    text = page.decode() if isinstance(page, bytes) else page
    return dict(re.findall(r'rel="(\w+)" class="drifthound-\w+" href="([^"]+)"', text))


def test_neighbours_are_the_closest_stamps_either_side():
    stamps = ["20261130T010000Z", "20261130T030000Z", "20261130T050000Z"]
    assert report_nav.neighbours(stamps, "20261130T030000Z") == report_nav.Neighbours(stamps[0], stamps[2])
    assert report_nav.neighbours(stamps, "20261130T040000Z") == report_nav.Neighbours(stamps[1], stamps[2])
    assert report_nav.neighbours(stamps, "20261130T050000Z") == report_nav.Neighbours(stamps[1], None)
    assert report_nav.neighbours([], "20261130T050000Z") == report_nav.Neighbours(None, None)


def test_a_page_without_links_is_left_as_it_was():
    assert report_nav.with_links("<html>older</html>", report_nav.Neighbours("a", "b")) == "<html>older</html>"


def test_the_header_escapes_the_monitor_and_stores_no_neighbour():
    header = report_nav.header("<m>", "a window")
    assert "&lt;m&gt;" in header and 'href="./"' in header
    assert links_of(header) == {"up": "./"}, "a neighbour stored in the file would outlive its report"


def test_reports_written_in_any_order_are_served_with_their_neighbours(tmp_path):
    for hours in (0, 2, 1):  # the middle window caught up last
        write_report(tmp_path, "m", HOUR + timedelta(hours=hours), page(), {})
    folder = tmp_path / "m"
    first, middle, last = (folder / f"2026113{0}T0{h}0000Z.html" for h in (3, 4, 5))
    assert links_of(served_report(first)) == {"up": "./", "next": middle.name}
    assert links_of(served_report(middle)) == {"up": "./", "prev": first.name, "next": last.name}
    assert links_of(served_report(last)) == {"up": "./", "prev": middle.name}
    assert b"next run: none yet" in served_report(last)


def test_a_deleted_neighbour_is_skipped_and_none_left_is_no_link(tmp_path):
    for hours in range(4):
        write_report(tmp_path, "m", HOUR + timedelta(hours=hours), page(), {})
    folder = tmp_path / "m"
    (folder / "20261130T040000Z.html").unlink()
    assert links_of(served_report(folder / "20261130T050000Z.html")) == {
        "up": "./",
        "prev": "20261130T030000Z.html",
        "next": "20261130T060000Z.html",
    }
    (folder / "20261130T030000Z.html").unlink()
    assert links_of(served_report(folder / "20261130T050000Z.html")) == {"up": "./", "next": "20261130T060000Z.html"}


def test_links_stored_by_an_older_version_are_replaced_when_served(tmp_path):
    older = page().replace(
        report_nav.START + report_nav.END,
        report_nav.links(report_nav.Neighbours("20261130T020000Z", None)),  # a report housekeeping deleted since
    )
    write_report(tmp_path, "m", HOUR, older, {})
    assert links_of(served_report(tmp_path / "m" / "20261130T030000Z.html")) == {"up": "./"}


def test_a_matrix_is_laid_on_every_class_by_name():
    counts = np.array([[5, 1], [2, 3]])
    laid = _aligned(["a", "b", "c"], ["c", "a"], counts)
    assert laid.tolist() == [[3, 0, 2], [0, 0, 0], [1, 0, 5]]


def test_a_sorted_reference_is_counted_into_bins_as_numpy_counts_it():
    """The drift table's reference histogram is counted by binary search on the sorted values: numpy's counts,
    values on the edges (rounded values land on them) and the closed last bin included."""
    from monitor.evaluation.report_widgets import _edges, _sorted_histogram

    rng = np.random.default_rng(0)
    for decimals in (0, 1, 2, 6):
        values = np.sort(np.round(rng.normal(0, 1, 2000), decimals))
        edges = _edges(float(values[0]), float(values[-1]))
        assert edges is not None
        assert _sorted_histogram(values, edges).tolist() == np.histogram(values, edges)[0].tolist()
