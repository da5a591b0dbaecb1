"""The HTML report in a real headless browser (Debian's chromium driven by Playwright).

Skipped, with how to install it, on a machine without /usr/bin/chromium.
"""

import shutil
from pathlib import Path

import pytest

from tapbot.reports import load_run, write_html

from .conftest import SCREENSHOTS

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get install -y chromium` "
                    "(Debian/Ubuntu) to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="pip install playwright (the test extra)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report_page(faulty_run, tmp_path_factory):
    return write_html(load_run(faulty_run.folder), tmp_path_factory.mktemp("browser-report"))


def _open(browser, index, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(index.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def test_report_loads_without_errors_and_shows_every_incident(browser, report_page, faulty_run,
                                                              tmp_path, tmp_path_factory):
    page, problems = _open(browser, report_page, 1280, 900)
    assert page.locator("article.incident").count() == len(faulty_run.incidents)
    assert page.locator("#verdict .word").inner_text() == "FAIL"
    videos = page.evaluate("Array.from(document.querySelectorAll('video'))"
                           ".map(v => [v.readyState, v.error && v.error.code])")
    assert len(videos) == len(faulty_run.incidents)
    page.wait_for_function("Array.from(document.querySelectorAll('video'))"
                           ".every(v => v.readyState >= 1 || v.error)", timeout=10000)
    assert page.evaluate("Array.from(document.querySelectorAll('video'))"
                         ".every(v => !v.error)"), "a clip does not decode"
    broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || "
                           "i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    shot = tmp_path / "report-first-screen.png"
    page.screenshot(path=str(shot))
    kept = tmp_path_factory.getbasetemp() / "report-first-screen.png"
    shutil.copyfile(shot, kept)
    SCREENSHOTS.append(str(kept))
    assert problems == []
    page.close()


def test_timeline_marks_jump_to_their_incident(browser, report_page):
    page, problems = _open(browser, report_page, 1280, 900)
    page.click('.timeline a.mark[href="#incident-3"]')
    assert page.evaluate("location.hash") == "#incident-3"
    box = page.locator("#incident-3").bounding_box()
    assert 0 <= box["y"] < 900
    page.click('.filters button[data-kind="freeze"]')
    assert page.locator("article.incident:visible").count() == 2
    assert problems == []
    page.close()


def test_report_fits_a_phone_screen(browser, report_page):
    page, problems = _open(browser, report_page, 390, 844)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone"
    assert page.locator("#verdict").bounding_box()["width"] <= 390
    assert problems == []
    page.close()
