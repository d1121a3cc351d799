"""Browser tests of the admin: Python Playwright driving Debian's Chromium against a live server.

The server is a real threaded WSGI server on loopback over an app on its own database (the
browser's requests run in other threads, so the rolled-back ``db`` fixture cannot serve). In CI a
missing Chromium or axe-core fails the run; elsewhere these tests are skipped with the reason.
"""

import functools
import gc
import json
import os
import re
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, Api, app_on_own_database

CHROMIUM = os.environ.get("FOLIO_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = os.environ.get("FOLIO_SCREENSHOTS")  # a folder: journeys save their screens there
#: how long an action, a navigation or an expect() waits: generous, because CI runs both suites side
#: by side on two cores, where a page that loads in 1 s alone has taken over 10 s
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)

def pytest_collection_modifyitems(items):
    """Mark every test of this folder ``browser`` (a conftest's pytestmark would not reach them).

    The development server leaves a static file unclosed when the browser drops a download by
    navigating away (werkzeug's "Headers already set"); the warning surfaces later, in whichever
    test runs then, and says nothing about the admin, so browser tests ignore it.
    """
    folder = Path(__file__).parent
    for item in items:
        if folder in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"))


def _missing(what, how):
    message = f"{what} is missing: {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@dataclass
class Site:
    app: object
    url: str

    def api(self, token=None):
        """An API client of the site's app (administrator token by default)."""
        return Api(self.app.test_client(), token or self.app.config["ADMIN_TOKEN"])

    def user(self, role, email=None):
        """Create a user with ``role`` (password PASSWORD); return its email."""
        from cms.auth import services as auth_services
        from cms.extensions import db

        email = email or f"{role}-{os.urandom(3).hex()}@example.com"
        with self.app.app_context():
            auth_services.create_user(email, PASSWORD, role=role)
            db.session.commit()
        return email


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _missing("Chromium", f"{CHROMIUM} does not exist (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@contextmanager
def serve_site(folder, prefix, **config):
    """A Site: an app on its own database served by a threaded WSGI server on loopback."""
    from werkzeug.serving import make_server

    with app_on_own_database(folder, prefix, MEDIA_PRERENDER_WIDTHS=[], **config) as app:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name=f"{prefix}-server", daemon=True)
        thread.start()
        try:
            yield Site(app, f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with serve_site(tmp_path_factory.mktemp("admin"), "admin") as served:
        yield served


@pytest.fixture(autouse=True)
def collect_dropped_downloads():
    """Collect, with the warning silenced, the files the development server left open for downloads
    the browser dropped (see above), so the warning cannot surface in a later test."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()


@pytest.fixture
def new_page(browser, site):
    """``new_page(width=1280, height=900)``: a page in a fresh browser context (its own cookies)."""
    contexts = []

    def make(width=1280, height=900):
        context = browser.new_context(base_url=site.url, viewport={"width": width, "height": height})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and not _expected(message.text)
                and page.errors.append(message.text))
        return page

    yield make
    for context in contexts:
        context.close()


def _expected(text):
    """Chromium logs every 4xx answer (a form shown again with its errors is a 422) as a console error."""
    return text.startswith("Failed to load resource: the server responded with a status of 4")


@pytest.fixture
def page(new_page):
    return new_page()


def sign_in(page, email="admin@example.com", password=PASSWORD):
    page.goto("/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/(?!login)"))


@functools.cache
def _axe_source():
    return AXE.read_text()


def check_accessibility(page, name=None):
    """Run axe-core on the page: no serious or critical violation. Save a screenshot when asked."""
    if not AXE.is_file():
        _missing("axe-core", f"{AXE} does not exist (make install puts it there with npm)")
    page.evaluate(_axe_source())  # through the debugger, so the page's CSP (no inline script) stays on
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)
    if name and SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
