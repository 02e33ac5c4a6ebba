"""The data engineer's view: headless Chromium logs in to the Airflow UI and finds the five DAGs
with successful runs, as a person would, and leaves a screenshot in test-artifacts/.

Debian's chromium and chromium-driver (installed by `stack.sh run dev`) drive the browser through
selenium; no browser is ever downloaded.

The UI navigates on its own, from scripts chromedriver does not wait for: the app at `/` asks
`/ui/config`, gets 401 and replaces itself with `/api/v2/auth/login?next=/`, which answers 307 to
the login form `/auth/login?next=/`; the form posts `/auth/token`, sets the `_token` cookie and
replaces itself with `next`. chromedriver checks the frame's loader before and after every element
lookup or script and fails it with "aborted by navigation" when a new document commits in between.
So after each of those steps the test first waits, through the URL (chromedriver reads it from the
browser's history, never from a script, so no navigation aborts it), until the destination
document is the current one, and only then for the page to finish loading and render its marker.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = Path(os.environ.get("STATE_DIR", ROOT / ".state"))
ARTIFACTS = ROOT / "test-artifacts"
AIRFLOW_URL = f"http://localhost:{os.environ.get('AIRFLOW_PORT', '8080')}"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DAGS = ("films_etl", "genres_etl", "persons_etl", "restore_elasticsearch", "restore_postgres")
# The ETL DAGs run every minute: a DAG whose latest run is still going (or is retrying after
# another test stopped a service) drops out of the "last run: success" view for a while.
SUCCESS_WAIT_SECONDS = 240
# Flags that let Chromium run headless as root with no network beyond this machine.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1300",
)


def admin_password() -> str:
    """The password the airflow service script generated for the simple auth manager."""
    return json.loads((STATE_DIR / "airflow" / "passwords.json").read_text(encoding="utf-8"))["admin"]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    assert not missing, f"{missing} missing: the tests run through stack.sh run dev, which installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Page:
    """Where a navigation ends: which URL paths are it, and an element only it renders, once loaded."""

    name: str
    is_at: Callable[[str], bool]
    marker: str


LOGIN_FORM = Page("the login form", lambda path: path == "/auth/login", "input[name=username]")
# The app's sidebar: rendered by the Airflow UI (not by the auth manager's login form) once it has
# loaded, which it does only for a logged-in visitor.
AIRFLOW_APP = Page(
    "the Airflow app", lambda path: not path.startswith("/auth/"), '[data-testid="nav-sidebar"]'
)


def wait_until_settled(driver: WebDriver, page: Page, timeout: float = 60) -> None:
    """Wait until the browser shows `page`, loaded and rendered, with no navigation under way."""

    def settled(d: WebDriver) -> bool:
        # Nothing inside the document is touched before the URL says it is the destination.
        if not page.is_at(urlsplit(d.current_url).path):
            return False
        return d.execute_script("return document.readyState") == "complete" and bool(
            d.find_elements(By.CSS_SELECTOR, page.marker)
        )

    try:
        WebDriverWait(driver, timeout).until(settled)
    except TimeoutException:
        pytest.fail(
            f"{page.name} did not show up; at {driver.current_url}, page says: {page_text(driver)[:500]}"
        )


def submit_login(driver: WebDriver, password: str) -> None:
    """As an anonymous visitor: open the UI, get sent to the login form, fill it in and submit it."""
    driver.get(AIRFLOW_URL + "/")
    wait_until_settled(driver, LOGIN_FORM)
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(password)
    WebDriverWait(driver, 30).until(
        expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "button[type=submit]"))
    ).click()


def log_in(driver: WebDriver, password: str) -> None:
    submit_login(driver, password)
    wait_until_settled(driver, AIRFLOW_APP)


def page_text(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def dags_shown(driver: WebDriver) -> set[str]:
    """DAG ids whose cards (links to /dags/<id>) the list shows."""
    return {dag for dag in DAGS if driver.find_elements(By.CSS_SELECTOR, f'a[href="/dags/{dag}"]')}


def wait_for_successful_dags(driver: WebDriver) -> set[str]:
    """Reload the list filtered to "last run: success" until it shows all five DAGs."""
    deadline = time.monotonic() + SUCCESS_WAIT_SECONDS
    shown: set[str] = set()
    while True:
        driver.get(AIRFLOW_URL + "/dags?last_dag_run_state=success")
        wait_until_settled(driver, AIRFLOW_APP)
        try:
            WebDriverWait(driver, 20).until(lambda d: dags_shown(d) == set(DAGS))
        except TimeoutException:
            pass
        shown = dags_shown(driver)
        if shown == set(DAGS) or time.monotonic() > deadline:
            return shown
        time.sleep(5)


def test_the_data_engineer_finds_the_five_dags_with_successful_runs(browser: WebDriver) -> None:
    log_in(browser, admin_password())
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "airflow-dags.png"
    try:
        shown = wait_for_successful_dags(browser)
    finally:
        browser.save_screenshot(str(screenshot))

    assert shown == set(DAGS), f"DAGs whose last run succeeded: {sorted(shown)}; see {screenshot}"
    text = page_text(browser)
    assert "Last run:" in text and "Success" in text, "the list is not filtered to successful runs"
    # Each card links its latest run, and the run history of every DAG has runs to show.
    for dag in DAGS:
        runs = browser.find_elements(By.CSS_SELECTOR, f'a[href^="/dags/{dag}/runs/"]')
        assert runs, f"{dag} shows no run"


def test_the_ui_refuses_a_wrong_password(browser: WebDriver) -> None:
    submit_login(browser, admin_password() + "-wrong")
    # The form says why and stays; the DAG list stays out of reach.
    WebDriverWait(browser, 30).until(lambda d: "Invalid credentials" in page_text(d))
    assert LOGIN_FORM.is_at(urlsplit(browser.current_url).path)
    browser.get(AIRFLOW_URL + "/dags")
    wait_until_settled(browser, LOGIN_FORM)
    assert not dags_shown(browser)
