"""Silencing from the monitor page in a real headless Chromium: an operator signs in, silences and ends it; a
viewer is offered nothing and refused."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from alerts.models import Silence
from tests.e2e.test_browser import browser, errors_in, shoot  # noqa: F401  (the Chromium fixture)
from tests.integration.test_roles import OPERATOR, VIEWER, config_for, listening

pytestmark = pytest.mark.e2e


@pytest.fixture
def guarded_site(tmp_path):
    """A listener with a viewer and an operator token (tests/integration/test_roles.py's config)."""
    with listening(config_for(f"sqlite:///{tmp_path / 'store.db'}")) as (address, store):
        yield f"http://{address}", store


def sign_in(driver, base: str, token: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/reports/credit/")
    driver.find_element("id", "token").send_keys(token)
    driver.find_element("id", "sign-in").click()
    wait(lambda: not driver.find_elements("id", "token"), "signed in")
    assert driver.current_url == base + "/reports/credit/", "back on the page asked for"


def wait(check, what: str, timeout: float = 10) -> None:
    """Until `check` holds; an element read while the page reloads (stale, or not there yet) counts as not yet."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except (NoSuchElementException, StaleElementReferenceException):
            pass
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_an_operator_silences_from_the_page_and_a_viewer_cannot(browser, guarded_site):  # noqa: F811
    base, store = guarded_site
    sign_in(browser, base, OPERATOR)
    browser.get_log("browser")  # the sign-in page's 401 is expected; what follows must be clean
    form = browser.find_element("id", "silence-form")
    form.find_element("css selector", 'select[name="rule"] option[value="drift"]').click()
    form.find_element("css selector", 'select[name="for"] option[value="4h"]').click()
    form.find_element("name", "reason").send_keys("retraining tonight")
    form.find_element("css selector", 'button[type="submit"]').click()
    wait(lambda: browser.find_elements("css selector", "button.end-silence"), "the page lists the new silence")
    row = browser.find_element("css selector", "button.end-silence").find_element("xpath", "./ancestor::tr").text
    assert "drift" in row and "retraining tonight" in row and "oncall" in row, row
    with store.reading() as session:
        (silence,) = session.query(Silence).all()
        assert (silence.created_by, silence.rule, silence.ends_at - silence.created_at) == (
            "oncall",
            "drift",
            timedelta(hours=4),
        )
    shoot(browser, "silenced")
    assert errors_in(browser) == [], "no CSP violation, no failed request"
    browser.find_element("css selector", "button.end-silence").click()
    wait(lambda: "no active silences" in browser.find_element("tag name", "body").text, "the silence ended")
    with store.reading() as session:
        assert session.query(Silence).one().cancelled_at is not None

    sign_in(browser, base, VIEWER)
    assert not browser.find_elements("id", "silence-form"), "a viewer is offered no form"
    status = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch("/api/silences", {method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({monitor: "credit", for: "1h", reason: "viewer tries"})}).then(r => done(r.status));"""
    )
    assert status == 403, "the viewer's cookie does not let it silence"
    with store.reading() as session:
        assert session.query(Silence).count() == 1, "nothing new"
