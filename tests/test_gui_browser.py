"""End to end: the TVB web GUI in headless Chromium runs and reloads a NextGenEI simulation.

Starts TVB on 127.0.0.1 (free port, SQLite, fresh TVB_USER_HOME with a seeded project), selects
NextGenEI and the Laplacian coupling, sets a parameter, launches a short simulation, waits for
it to finish, reloads it from the history and checks that the parameter came back. The
screenshot is kept in ``TEST_OUTPUT/gui/`` (or ``$TVB_NGNMM_GUI_ARTIFACTS``).
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip(
    "tvb.adapters.forms.model_forms", reason="tvb-framework is not installed (the 'gui' extra)"
)
pytest.importorskip("selenium", reason="selenium is not installed (the 'gui' extra)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="Chromium and chromedriver are not installed (Debian: chromium chromium-driver)",
    ),
    pytest.mark.filterwarnings("ignore:'cgi' is deprecated:DeprecationWarning"),
]

CHROMIUM_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
).split()
ETA_E = "[-4.25]"  # differs from the default -5.0
STEP_TIMEOUT = 30.0  # s, for any single page change
SIMULATION_TIMEOUT = 120.0  # s
ARTIFACTS = Path(os.environ.get("TVB_NGNMM_GUI_ARTIFACTS", "TEST_OUTPUT/gui"))


@pytest.fixture(scope="module")
def tvb_server():
    from tvb_ngnmm.gui import server

    home = Path(tempfile.mkdtemp(prefix="tvb_ngnmm_gui_"))
    port = server.free_port()
    server.prepare_home(home, port)
    server.seed_project(home, timeout=240.0)
    running = server.start_server(home, port, timeout=120.0)
    try:
        yield running
    finally:
        running.stop()
        assert running.process.poll() is not None, "the TVB server is still running"
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tvb_ngnmm_chromium_")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _visible(driver, css):
    from selenium.webdriver.common.by import By

    return [e for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]


def _wait_for(driver, css, timeout=STEP_TIMEOUT):
    """The last visible element matching ``css``, waiting up to ``timeout`` seconds."""
    from selenium.webdriver.support.ui import WebDriverWait

    elements = WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: _visible(d, css), message=f"nothing visible matches {css!r}"
    )
    return elements[-1]


def _next(driver, then_css):
    """Click the wizard's Next button and wait until ``then_css`` is visible."""
    _wait_for(driver, "button[name=next]").click()
    return _wait_for(driver, then_css)


def _type(element, text):
    element.clear()
    element.send_keys(text)


def _login_and_select_project(driver, url):
    from selenium.webdriver.common.by import By

    driver.get(url + "user/")
    _wait_for(driver, "input[name=username]").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys("pass")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]").click()
    _wait_for(driver, "#nav-project")
    driver.get(url + "project/viewall")
    for link in _visible(driver, "a.action-make-relevant"):
        link.click()
        break
    _wait_for(driver, "#nav-burst")


def _configure_and_launch(driver, url, name):
    from selenium.webdriver.support.ui import Select

    driver.get(url + "burst/")
    Select(_wait_for(driver, "select[name=coupling]")).select_by_value("Laplacian")
    _next(driver, "#normalize_0").click()  # 'none': connectivity_76 has regions without input
    _next(driver, "select[name=surface_gid]")
    _next(driver, "select[name=stimulus]")
    Select(_next(driver, "select[name=model]")).select_by_value("NextGenEI")
    _type(_next(driver, "input[name=eta_e]"), ETA_E)
    _next(driver, "select[name=integrator]")
    _next(driver, "input[name=dt]")
    _next(driver, "input[name=monitors]")
    _next(driver, "input[name=period]")
    _type(_next(driver, "input[name=simulation_length]"), "20")
    _type(_wait_for(driver, "input[name=input_simulation_name_id]"), name)
    _wait_for(driver, "button[name=launch_simulation]").click()


def _wait_until_finished(driver, url, name):
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + SIMULATION_TIMEOUT
    while time.monotonic() < deadline:
        driver.get(url + "burst/")
        entries = driver.find_elements(By.XPATH, f"//li[contains(@class,'burst')][a='{name}']")
        status = entries[0].get_attribute("class") if entries else ""
        if "burst-finished" in status:
            return entries[0]
        assert "burst-error" not in status and "burst-canceled" not in status, status
        time.sleep(2.0)
    raise TimeoutError(f"simulation {name!r} not finished after {SIMULATION_TIMEOUT:g} s")


def test_nextgenei_simulation_runs_and_reloads(tvb_server, browser):
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = "ngnmm_e2e"
    try:
        _login_and_select_project(browser, tvb_server.url)
        _configure_and_launch(browser, tvb_server.url, name)
        _wait_until_finished(browser, tvb_server.url, name)
        _wait_for(browser, "a.action-big-new").click()  # a new, empty configuration first
        _wait_for_values(browser, {"input[name=eta_e]": None, "select[name=coupling]": "Linear"})
        link = f"//li[contains(@class,'burst')]/a[text()='{name}']"
        browser.find_element(By.XPATH, link).click()  # reload from the history
        _wait_for_values(
            browser,
            {
                "input[name=eta_e]": ETA_E,
                "select[name=model]": "NextGenEI",
                "select[name=coupling]": "Laplacian",
                "input[name=simulation_length]": "20.0",
            },
        )
        _show_model_form(browser, _wait_for(browser, "select[name=model]"))
    finally:
        browser.save_screenshot(str(ARTIFACTS / "gui_nextgenei.png"))


def _wait_for_values(driver, expected, timeout=STEP_TIMEOUT):
    """Wait until each visible field matching a CSS key has the value given (None: absent)."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def seen(d):
        return {css: [e.get_attribute("value") for e in _visible(d, css)] for css in expected}

    def done(d):
        values = seen(d)
        return all(
            not values[css] if want is None else values[css][-1:] == [want]
            for css, want in expected.items()
        )

    try:
        WebDriverWait(
            driver,
            timeout,
            poll_frequency=0.3,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(done)
    except TimeoutException:
        raise AssertionError(f"expected {expected}, but the page shows {seen(driver)}") from None


def _show_model_form(driver, model_select):
    """Scroll the configuration column to the model and wait for the busy overlay to go."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    busy = "//*[contains(text(), 'Your request is being processed')]"
    WebDriverWait(driver, STEP_TIMEOUT, poll_frequency=0.2).until(
        lambda d: not any(e.is_displayed() for e in d.find_elements(By.XPATH, busy))
    )
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'start'}); window.scrollTo(0, 0);", model_select
    )
