"""End to end: the TVB web GUI in headless Chromium with NextGenEI.

Starts TVB on 127.0.0.1 (free port, SQLite, fresh TVB_USER_HOME with a seeded project holding
tvb76 and the 16k cortex) and stops it by its process id at the end. In the simulator page:
selects NextGenEI and the Laplacian coupling, sets a parameter, launches a 1 s simulation, waits
for it to finish, checks in the Operations page that it ran on the engine and opens its time
series in TVB's viewer, reloads it from the history and checks that the parameter came back; a
NextGenEI form with tau_e = -8 is refused with the model's message; a short surface simulation
(stock TVB: the engine runs regions only) finishes; a parameter space exploration of two
NextGenEI simulations runs on the engine. In the phase-plane page:
selects NextGenEI, checks its label and equations, waits for the vector field and draws a
trajectory by clicking in the plane. The screenshots are kept in ``TEST_OUTPUT/gui/`` (or
``$TVB_NGNMM_GUI_ARTIFACTS``).
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
SIMULATION_TIMEOUT = 300.0  # s (each operation starts a Python process: slow on a busy machine)
LENGTH = "1000"  # ms of the NextGenEI simulation
SURFACE_LENGTH = "4"  # ms of the surface simulation (stock TVB, 16,384 vertices)
PSE_LENGTH = "100"  # ms of each simulation of the parameter space exploration
ARTIFACTS = Path(os.environ.get("TVB_NGNMM_GUI_ARTIFACTS", "TEST_OUTPUT/gui"))


@pytest.fixture(scope="module")
def tvb_server():
    from tvb_ngnmm.gui import server

    home = Path(tempfile.mkdtemp(prefix="tvb_ngnmm_gui_"))
    port = server.free_port()
    server.prepare_home(home, port)
    server.seed_project(home, timeout=600.0, cortex=True)
    running = server.start_server(home, port, timeout=120.0)
    try:
        yield running
    finally:
        running.stop()
        assert running.process.poll() is not None, "the TVB server is still running"
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def gui_url(tvb_server, browser):
    """The GUI's address, with the browser logged in and the seeded project selected."""
    _login_and_select_project(browser, tvb_server.url)
    return tvb_server.url


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


def _wait(driver, condition, message, timeout=STEP_TIMEOUT):
    """Poll ``condition(driver)`` until truthy; elements replaced meanwhile are looked up again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    stale = (StaleElementReferenceException,)
    waiting = WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=stale)
    return waiting.until(condition, message=message)


def _act(driver, css, action=lambda element: element.click()):
    """Apply ``action`` to the last visible element matching ``css`` (waiting for it)."""

    def attempt(d):
        elements = _visible(d, css)
        if elements:
            action(elements[-1])
        return bool(elements)

    _wait(driver, attempt, f"nothing visible matches {css!r}")


def _wait_for(driver, css):
    """Wait until an element matching ``css`` is visible."""
    _wait(driver, lambda d: _visible(d, css), f"nothing visible matches {css!r}")


def _next(driver, then_css):
    """Click the wizard's Next button and wait until ``then_css`` is visible."""
    _act(driver, "button[name=next]")
    _wait_for(driver, then_css)


def _typer(text):
    def type_text(element):
        element.clear()
        element.send_keys(text)

    return type_text


def _chooser(value):
    from selenium.webdriver.support.ui import Select

    return lambda element: Select(element).select_by_value(value)


def _login_and_select_project(driver, url):
    driver.get(url + "user/")
    _act(driver, "input[name=username]", _typer("admin"))
    _act(driver, "input[name=password]", _typer("pass"))
    _act(driver, "input[type=submit], button[type=submit]")
    _wait(driver, lambda d: "/user/" not in d.current_url.replace("/user/profile", ""), "login")
    driver.get(url + "project/viewall")
    _act(driver, "a.action-make-relevant")  # the seeded project

    def simulator_page(d):
        d.get(url + "burst/")  # redirects to the projects until one is selected
        return _visible(d, "select[name=coupling]")

    _wait(driver, simulator_page, "the simulator page did not open", timeout=3 * STEP_TIMEOUT)


def _up_to_nextgenei_parameters(driver):
    """From the simulator page's first form to NextGenEI's parameter form (Laplacian coupling)."""
    _act(driver, "select[name=coupling]", _chooser("Laplacian"))
    _next(driver, "#normalize_0")
    _act(driver, "#normalize_0")  # 'none': connectivity_76 has regions without input
    _next(driver, "select[name=surface_gid]")
    _next(driver, "select[name=stimulus]")
    _next(driver, "select[name=model]")
    _act(driver, "select[name=model]", _chooser("NextGenEI"))
    _next(driver, "input[name=eta_e]")


def _launch(driver, name, length):
    """From the model's parameter form to Launch; the time (s, monotonic) of the click."""
    for css in ("select[name=integrator]", "input[name=dt]", "input[name=monitors]"):
        _next(driver, css)
    _next(driver, "input[name=period]")
    _next(driver, "input[name=simulation_length]")
    _act(driver, "input[name=simulation_length]", _typer(length))
    _act(driver, "input[name=input_simulation_name_id]", _typer(name))
    _act(driver, "button[name=launch_simulation]")
    return time.monotonic()


def _configure_and_launch(driver, name):
    _up_to_nextgenei_parameters(driver)
    _act(driver, "input[name=eta_e]", _typer(ETA_E))
    return _launch(driver, name, LENGTH)


def _wait_until_finished(driver, url, name):
    """Reload the simulator page until the history shows ``name`` finished (fail on error)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + SIMULATION_TIMEOUT
    while time.monotonic() < deadline:
        driver.get(url + "burst/")
        entry = f"//li[contains(@class,'burst')][a='{name}']"
        try:
            status = " ".join(
                e.get_attribute("class") for e in driver.find_elements(By.XPATH, entry)
            )
        except StaleElementReferenceException:
            continue
        if "burst-finished" in status:
            return
        assert "burst-error" not in status and "burst-canceled" not in status, status
        time.sleep(2.0)
    raise TimeoutError(f"simulation {name!r} not finished after {SIMULATION_TIMEOUT:g} s")


def test_nextgenei_simulation_runs_on_the_engine_and_reloads(gui_url, browser):
    """NextGenEI on tvb76 for 1 s from the simulator page: finishes, ran on the engine (the
    operation's message), its time series open in TVB's viewer, its settings reload."""
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = "ngnmm_e2e"
    try:
        browser.get(gui_url + "burst/")
        launched = _configure_and_launch(browser, name)
        _wait_until_finished(browser, gui_url, name)
        _record_wall_time(name, time.monotonic() - launched)
        message = _operation_message(browser, gui_url, "TimeSeriesRegion")
        assert message.startswith("Simulated with the tvb_ngnmm engine"), message
        _open_time_series_viewer(browser, "TimeSeriesRegion", last_tick="1,000")
        browser.get(gui_url + "burst/")
        _act(browser, "a.action-big-new")  # a new, empty configuration first
        _wait_for_values(browser, {"input[name=eta_e]": None, "select[name=coupling]": "Linear"})
        link = f"//li[contains(@class,'burst')]/a[text()='{name}']"
        _wait(browser, lambda d: d.find_element(By.XPATH, link).click() or True, "history entry")
        _wait_for_values(
            browser,
            {
                "input[name=eta_e]": ETA_E,
                "select[name=model]": "NextGenEI",
                "select[name=coupling]": "Laplacian",
                "input[name=simulation_length]": f"{float(LENGTH)}",
            },
        )
        _wait_until_idle(browser)
    finally:
        browser.save_screenshot(str(ARTIFACTS / "gui_nextgenei.png"))


def test_model_form_refuses_what_the_model_refuses(gui_url, browser):
    """NextGenEI with tau_e = -8: Next shows the model's message under tau_e and stays on the
    model's form; a valid value then goes on to the integrator."""
    from tvb_ngnmm.models import NextGenEI

    with pytest.raises(ValueError) as refusal:
        NextGenEI().check_parameter("tau_e", -8.0)
    _new_simulation(browser, gui_url)
    try:
        _up_to_nextgenei_parameters(browser)
        _act(browser, "input[name=tau_e]", _typer("[-8]"))
        _act(browser, "button[name=next]")
        messages = _wait(browser, _error_messages, "no message under the model's form")
        assert messages == [str(refusal.value)]
        assert not _visible(browser, "select[name=integrator]")
        assert len(_visible(browser, "input[name=tau_e]")) == 1  # the refused form replaced
        _act(browser, "input[name=tau_e]", _typer("[8]"))
        _next(browser, "select[name=integrator]")
        assert not _error_messages(browser)
    finally:
        browser.save_screenshot(str(ARTIFACTS / "gui_refused_tau_e.png"))


def test_parameter_space_exploration_runs_on_the_engine(tvb_server, gui_url, browser):
    """A PSE over the conduction speed (two NextGenEI simulations) finishes, each simulation
    on the engine (the operations' messages, read from TVB's database)."""
    name = "ngnmm_pse"
    _new_simulation(browser, gui_url)
    try:
        _up_to_nextgenei_parameters(browser)
        for css in ("select[name=integrator]", "input[name=dt]", "input[name=monitors]"):
            _next(browser, css)
        _next(browser, "input[name=period]")
        _next(browser, "input[name=simulation_length]")
        _act(browser, "input[name=simulation_length]", _typer(PSE_LENGTH))
        _act(browser, "input[name=input_simulation_name_id]", _typer(name))
        _act(browser, "button[name=setup_pse]")
        _wait_for(browser, "select[name=pse_param1]")
        _act(browser, "select[name=pse_param1]", _chooser("conduction_speed"))
        _next(browser, "input[name=pse_param1_lo]")
        for field, value in (("lo", "3"), ("hi", "6"), ("step", "2")):
            _act(browser, f"input[name=pse_param1_{field}]", _typer(value))
        _act(browser, "button[name=launch_pse]")
        _wait_until_finished(browser, gui_url, name)
    finally:
        browser.save_screenshot(str(ARTIFACTS / "gui_pse.png"))
    messages = _group_operation_messages(tvb_server.home)
    assert len(messages) == 2, messages
    assert all(m.startswith("Simulated with the tvb_ngnmm engine") for m in messages), messages


def _group_operation_messages(home):
    """The messages of the simulations of the PSEs, from TVB's database in ``home``."""
    import sqlite3

    database = sqlite3.connect(home / "TVB" / "tvb-database.db")
    try:
        rows = database.execute(
            "SELECT additional_info FROM OPERATIONS WHERE fk_operation_group IS NOT NULL "
            "AND additional_info LIKE 'Simulated with%'"
        ).fetchall()
    finally:
        database.close()
    return [row[0] for row in rows]


def _new_simulation(driver, url, attempts=3):
    """Open the simulator page on a new, empty configuration (waiting until it is shown).

    The page loads the session's forms with requests of its own; a new configuration asked for
    meanwhile can be overwritten by forms arriving after it, so this waits for the page's
    requests to end, and asks again if the new configuration is not what the page shows.
    """
    for attempt in range(attempts):
        driver.get(url + "burst/")
        _wait(driver, _no_pending_requests, "the simulator page kept loading")
        _act(driver, "a.action-big-new")
        try:
            _wait_for_values(
                driver, {"select[name=model]": None, "select[name=coupling]": "Linear"}
            )
            _wait(driver, _no_pending_requests, "the new configuration kept loading")
            _wait_for_values(driver, {"select[name=model]": None})
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def _no_pending_requests(driver):
    return driver.execute_script("return !!window.jQuery && jQuery.active === 0")


def _error_messages(driver):
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, "p.errorMessage")
    return [e.get_attribute("textContent").strip() for e in found if e.text.strip()]


def test_surface_simulation_finishes(gui_url, browser):
    """A surface simulation (16k cortex, its region mapping and local connectivity) launched
    from the simulator page finishes, run by the engine (the operation's message says so)."""
    from selenium.webdriver.support.ui import Select

    name = "ngnmm_surface"

    def last_option(element):
        Select(element).select_by_index(len(Select(element).options) - 1)

    _new_simulation(browser, gui_url)
    try:
        _next(browser, "input[name=a]")  # the coupling's parameters
        _next(browser, "select[name=surface_gid]")
        _act(browser, "select[name=surface_gid]", last_option)  # the cortex
        _next(browser, "select[name=region_mapping_data]")
        _act(browser, "select[name=local_connectivity]", last_option)
        _next(browser, "select[name=stimulus]")
        _next(browser, "select[name=model]")
        _next(browser, "input[name=tau]")  # TVB's default model, Generic2dOscillator
        launched = _launch(browser, name, SURFACE_LENGTH)
        _wait_until_finished(browser, gui_url, name)
        _record_wall_time(name, time.monotonic() - launched)
        message = _operation_message(browser, gui_url, "TimeSeriesSurface")
        (ARTIFACTS / "surface_message.txt").write_text(message, encoding="utf-8")
        assert message.startswith("Simulated with the tvb_ngnmm engine"), message
    finally:
        browser.save_screenshot(str(ARTIFACTS / "gui_surface.png"))


def _operation_message(driver, url, result_type):
    """The message of the newest operation whose result is a ``result_type``, as the
    project's Operations page shows it."""
    from selenium.webdriver.common.by import By

    driver.get(url + "project/viewoperations/1")
    row = f"//tr[.//img[contains(@title, '{result_type}')]]"
    rows = _wait(driver, lambda d: d.find_elements(By.XPATH, row), f"no {result_type} operation")
    messages = rows[0].find_elements(By.CSS_SELECTOR, "td.state .dropdown-pane p")
    return messages[0].get_attribute("textContent").strip() if messages else ""


def _open_time_series_viewer(driver, result_type, last_tick):
    """Open the newest ``result_type`` in TVB's time series viewer (SVG/d3) from the
    Operations page; check that its time axis ends at ``last_tick`` (ms)."""
    from selenium.webdriver.common.by import By

    _act(driver, f"img.result_icon[title^='{result_type}']")
    button = "button[class*='view-timeseriesvisualizer']"  # in the overlay's Visualizers tab
    found = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, button), "no viewer")
    driver.execute_script("arguments[0].click();", found[0])

    def ticks(d):
        _assert_no_error_message(d)
        return [
            e.get_attribute("textContent") for e in d.find_elements(By.CSS_SELECTOR, "svg text")
        ]

    _wait(driver, lambda d: last_tick in ticks(d), f"the viewer shows no {last_tick} ms tick")
    driver.save_screenshot(str(ARTIFACTS / f"gui_viewer_{result_type}.png"))


def _record_wall_time(name, seconds):
    """Append Launch-to-finished wall time to ``ARTIFACTS/wall_times.txt``."""
    with open(ARTIFACTS / "wall_times.txt", "a", encoding="utf-8") as out:
        out.write(f"{name} {seconds:.1f} s\n")


def _wait_for_values(driver, expected):
    """Wait until each visible field matching a CSS key has the value given (None: absent)."""
    from selenium.common.exceptions import TimeoutException

    seen = {}

    def done(d):
        seen.update({css: [e.get_attribute("value") for e in _visible(d, css)] for css in expected})
        return all(
            not seen[css] if want is None else seen[css][-1:] == [want]
            for css, want in expected.items()
        )

    try:
        _wait(driver, done, "values")
    except TimeoutException:
        raise AssertionError(f"expected {expected}, but the page shows {seen}") from None


def _wait_until_idle(driver):
    """Wait until TVB's 'request being processed' overlay is gone (for the screenshot)."""
    from selenium.webdriver.common.by import By

    busy = "//*[contains(text(), 'Your request is being processed')]"
    _wait(
        driver, lambda d: not any(e.is_displayed() for e in d.find_elements(By.XPATH, busy)), busy
    )


PHASE_PLANE = "#phasePlane"
VECTORS = f"{PHASE_PLANE} g.phasePlane line"  # the vector field's arrows
TRAJECTORIES = f"{PHASE_PLANE} g.traj[clip-path='url(#clip)'] path"  # clicked trajectories
N_VECTORS = 42 * 42  # TVB's phase-plane grid (84 points per axis, every second one drawn)


def test_phase_plane_draws_a_nextgenei_trajectory(gui_url, browser):
    """Simulator > Phase plane with NextGenEI: labels, equations, vector field, a trajectory."""
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        browser.get(gui_url + "burst/dynamic/")
        _wait_for(browser, "select[name=model]")
        labels = [e.get_attribute("textContent").strip() for e in browser.find_elements(
            By.CSS_SELECTOR, "select[name=model] option")]  # fmt: skip
        assert "NextGenEI" in labels and "MPRSynaptic" in labels, labels
        _act(browser, "select[name=model]", _chooser("NextGenEI"))
        _wait_for_plane(browser, axes=["r_e", "v_e"])
        equations = _visible(browser, "#data_model_NextGenEI")[-1].text
        assert "Exact mean field" in equations and "Time derivatives" not in equations
        assert _visible(browser, "#data_model_NextGenEI .MathJax, #data_model_NextGenEI .math")
        _wait_for_values(browser, {"#value_eta_e": "-5.0"})  # its slider, at the default
        assert not browser.find_elements(By.CSS_SELECTOR, TRAJECTORIES)
        _act(browser, f"{PHASE_PLANE} rect.overlay")  # a click starts a trajectory there
        points = _wait(browser, _trajectory_points, "no trajectory drawn")
        assert points > 500, points  # 512 integration steps by default
        _assert_no_error_message(browser)
    finally:
        browser.save_screenshot(str(ARTIFACTS / "gui_phase_plane_nextgenei.png"))


def _wait_for_plane(driver, axes):
    """Wait until the phase plane shows its vector field with ``axes`` as axis labels."""
    from selenium.webdriver.common.by import By

    def drawn(d):
        labels = d.find_elements(By.CSS_SELECTOR, f"{PHASE_PLANE} > g > text.axislabel")
        labels = [e.get_attribute("textContent") for e in labels][: len(axes)]
        _assert_no_error_message(d)
        return labels == axes and len(d.find_elements(By.CSS_SELECTOR, VECTORS)) == N_VECTORS

    _wait(driver, drawn, f"the phase plane of {axes} was not drawn")


def _trajectory_points(driver):
    """Number of points of the first drawn trajectory (0 while there is none)."""
    from selenium.webdriver.common.by import By

    _assert_no_error_message(driver)
    paths = driver.find_elements(By.CSS_SELECTOR, TRAJECTORIES)
    path = paths[0].get_attribute("d") if paths else ""
    return path.count("L") + 1 if path.startswith("M") else 0


def _assert_no_error_message(driver):
    """Fail if TVB shows an error or warning message (failed request, infinite trajectory)."""
    from selenium.webdriver.common.by import By

    for element in driver.find_elements(By.ID, "messageDivParent"):
        level = element.get_attribute("class") or ""
        assert "fatal" not in level and "warn" not in level, (
            f"TVB reports: {element.get_attribute('textContent').strip()}"
        )
