"""The built documentation site in headless Chromium: the home page, a gallery page with its
figures, the API page of ``NumbaBackend``, the search box, and mathematics rendered offline.

The site is what ``make docs`` builds into ``docs/_build/html`` (``TVB_NGNMM_DOCS_HTML`` names
another folder). ``.ci/run`` builds it after the test suite and then runs this test with
``TVB_NGNMM_REQUIRE_DOCS=1``, which makes a missing site a failure; elsewhere (``make test``, where
the site may not have been built) a missing site skips the test, saying so. The site is served
from a loopback HTTP server started and stopped by the test, and every resource a page loads
must come from it: the site needs no network.
"""

import functools
import os
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("selenium", reason="selenium is not installed (the 'gui' extra)")

SITE = Path(
    os.environ.get("TVB_NGNMM_DOCS_HTML", Path(__file__).resolve().parents[1] / "docs/_build/html")
)
REQUIRED = os.environ.get("TVB_NGNMM_REQUIRE_DOCS") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
).split()
TIMEOUT = 30.0  # s, for a page to load or the search to answer


def _missing() -> str | None:
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "Chromium and chromedriver are not installed (Debian: chromium chromium-driver)"
    if not (SITE / "index.html").is_file():
        return f"the documentation is not built in {SITE} (make docs)"
    return None


@pytest.fixture(scope="module")
def site_url():
    """The built site on a loopback HTTP server (a thread of this process)."""
    reason = _missing()
    if reason is not None:
        if REQUIRED:
            pytest.fail(f"TVB_NGNMM_REQUIRE_DOCS=1 but {reason}")
        pytest.skip(reason)
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tvb_ngnmm_docs_chromium_")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, condition, message):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, TIMEOUT, poll_frequency=0.2).until(
        lambda d: condition(d), message=message
    )


def _open(driver, url):
    driver.get(url)
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete",
          f"{url} did not finish loading")  # fmt: skip


def _outside_resources(driver, site_url) -> list[str]:
    names = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    return [n for n in names if not n.startswith(site_url) and not n.startswith("data:")]


def _failed_resources(driver) -> list[str]:
    """Resources the page asked for that the server did not have (e.g. a font MathJax needs)."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.responseStatus >= 400).map(e => e.name)"
    )


def _broken_images(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.images)"
        ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )


def test_home_page(browser, site_url):
    """The home page: its title, the cards into the site, nothing loaded from elsewhere."""
    from selenium.webdriver.common.by import By

    _open(browser, site_url + "index.html")
    assert "tvb_ngnmm" in browser.title
    cards = browser.find_elements(By.CSS_SELECTOR, ".sd-card")
    assert len(cards) >= 6
    links = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a")}
    assert site_url + "gallery/index.html" in links and site_url + "api/index.html" in links
    assert _outside_resources(browser, site_url) == []


def test_gallery_pages_show_their_figures(browser, site_url):
    """The gallery's cards have thumbnails, and a notebook's page its executed figures."""
    from selenium.webdriver.common.by import By

    _open(browser, site_url + "gallery/index.html")
    thumbnails = browser.find_elements(By.CSS_SELECTOR, ".ngnmm-card img")
    assert len(thumbnails) >= 8
    _wait(browser, lambda d: not _broken_images(d), "gallery thumbnails did not load")
    _open(browser, site_url + "gallery/01_next_gen_models.html")
    figures = browser.find_elements(By.CSS_SELECTOR, "div.cell_output img")
    assert len(figures) >= 3, "the executed notebook's figures are missing"
    _wait(browser, lambda d: not _broken_images(d), f"broken images: {_broken_images(browser)}")
    assert _outside_resources(browser, site_url) == []


def test_the_api_page_of_numba_backend(browser, site_url):
    """``NumbaBackend`` has its page, with its docstring and ``run_sim``."""
    from selenium.webdriver.common.by import By

    _open(browser, site_url + "api/generated/tvb_ngnmm.backend.NumbaBackend.html")
    headings = browser.find_elements(By.ID, "tvb_ngnmm.backend.NumbaBackend")
    assert headings, "the class's entry is missing"
    assert browser.find_elements(By.ID, "tvb_ngnmm.backend.NumbaBackend.run_sim")
    assert "sim.run()" in browser.find_element(By.CSS_SELECTOR, "article").text


def test_the_search_box_finds_balloon_windkessel_bold(browser, site_url):
    """The search box of the home page sends a query; the results list the monitor's page."""
    from selenium.webdriver.common.by import By

    _open(browser, site_url + "index.html")
    form = browser.find_element(By.CSS_SELECTOR, "form.bd-search")
    field = form.find_element(By.CSS_SELECTOR, "input[name='q']")
    browser.execute_script(
        "arguments[0].value = 'BalloonWindkesselBold'; arguments[1].submit();", field, form
    )

    def found(driver):
        links = driver.find_elements(By.CSS_SELECTOR, "#search-results a")
        return [
            a.get_attribute("href")
            for a in links
            if "BalloonWindkesselBold" in a.get_attribute("href")
        ]

    hits = _wait(browser, found, "the search did not find BalloonWindkesselBold")
    assert any("tvb_ngnmm.monitors.BalloonWindkesselBold.html" in hit for hit in hits)


def test_mathematics_is_rendered_offline(browser, site_url):
    """The model catalogue's equations are typeset by the site's own MathJax."""
    from selenium.webdriver.common.by import By

    _open(browser, site_url + "reference/models.html")
    _wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".MathJax, .MathJax_Display"),
        "MathJax did not typeset the equations",
    )
    assert _outside_resources(browser, site_url) == []
    assert _failed_resources(browser) == []
