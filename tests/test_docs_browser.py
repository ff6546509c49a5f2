"""The built site in a real browser: Debian's Chromium, headless, driven by Playwright.

Every page is opened from a local HTTP server with every request to another
host blocked and recorded, so "works offline" is tested, not assumed. No
browser is ever downloaded: Playwright drives the system's Chromium through
``executable_path``. Screenshots land in ``reports/screenshots/``.
"""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from test_docs_build import KIT_ROOT, built_site, nav_pages  # noqa: F401 -- the session's one build

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = KIT_ROOT / "reports" / "screenshots"


def find_chromium():
    """The system's Chromium: $MICROGRAD_KIT_CHROMIUM, Debian's /usr/bin/chromium, or one on PATH."""
    for candidate in (os.environ.get("MICROGRAD_KIT_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = find_chromium()
try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None
MISSING = ("no Chromium found (apt-get install chromium, or set MICROGRAD_KIT_CHROMIUM)" if CHROMIUM is None
           else "the playwright package is not installed" if sync_playwright is None else None)
REQUIRED = bool(os.environ.get("MICROGRAD_KIT_REQUIRE_BROWSER"))  # set by CI: never skip there
pytestmark = pytest.mark.skipif(bool(MISSING) and not REQUIRED, reason=f"{MISSING}: browser checks of the site skipped")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_site):  # noqa: F811
    """The built site, served on 127.0.0.1 at a free port, as `mkdocs serve` would."""
    handler = functools.partial(QuietHandler, directory=str(built_site.site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium and one context for the module; requests to other hosts are blocked.

    Without a browser the module is skipped, saying why; where the browser
    is required (``MICROGRAD_KIT_REQUIRE_BROWSER``, set by CI) it fails instead.
    """
    if MISSING:
        pytest.fail(f"MICROGRAD_KIT_REQUIRE_BROWSER is set but {MISSING}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.external = []  # every URL of another host that a page tried to load
        context.route("**/*", functools.partial(_local_only, context.external))
        yield context
        context.close()
        chromium.close()


def _local_only(external, route):
    if urlparse(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        external.append(route.request.url)
        route.abort()


class Visit:
    """One page, open, with its console errors and its attempts to reach the internet."""

    def __init__(self, context, url):
        context.external.clear()
        self.external, self.errors = context.external, []
        self.page = context.new_page()
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url} answered {response and response.status}"

    def close(self):
        self.page.close()


def page_url(base, md):
    stem = md.removesuffix(".md")
    return base if stem == "index" else f"{base}{stem}/"


ZERO_SIZED = """() => {
  const size = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const bad = [];
  for (const img of document.querySelectorAll('article img')) {
    const [w, h] = size(img);
    if (!img.complete || img.naturalWidth === 0 || w === 0 || h === 0) bad.push('img ' + img.getAttribute('src'));
  }
  for (const svg of document.querySelectorAll('article svg')) {
    if (svg.closest('.md-clipboard, .headerlink, button, .md-icon')) continue;
    const [w, h] = size(svg);
    if (svg.checkVisibility() && (w === 0 || h === 0)) bad.push('svg ' + svg.outerHTML.slice(0, 60));
  }
  return bad;
}"""

MATHS = """() => [...document.querySelectorAll('article math')].map(m => {
  const r = m.getBoundingClientRect(); return [r.width, r.height, m.textContent.slice(0, 40)];
})"""


@pytest.mark.parametrize("md", nav_pages())
def test_page_loads_offline_without_errors_and_renders_pictures_and_maths(browser, server, md):
    visit = Visit(browser, page_url(server, md))
    try:
        page = visit.page
        assert page.locator("article h1").count() == 1, f"{md} has no title"
        assert visit.errors == [], f"{md}: console errors {visit.errors}"
        assert visit.external == [], f"{md} tried to load from the internet: {visit.external}"
        assert page.evaluate(ZERO_SIZED) == [], f"{md}: pictures not rendered"
        maths = page.evaluate(MATHS)
        unlaid = [text for width, height, text in maths if width == 0 or height == 0]
        assert unlaid == [], f"{md}: maths not laid out: {unlaid}"
        if md.startswith("stages/") and md != "stages/bonus-pytorch.md":
            assert maths, f"{md} shows no maths"
    finally:
        visit.close()


def test_search_finds_backpropagation_offline(browser, server):
    visit = Visit(browser, server)
    try:
        page = visit.page
        query = page.locator("input.md-search__input")
        query.click()
        query.press_sequentially("backpropagation")  # real key presses: the search listens to keys
        results = page.locator(".md-search-result__item")
        results.first.wait_for(timeout=60_000)  # the index loads in a web worker: slow on a busy machine
        assert results.count() > 0
        assert "backpropagation" in results.first.inner_text().lower()
        assert visit.errors == [] and visit.external == []
    finally:
        visit.close()


def test_screenshots_of_home_and_a_stage_page(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {"home.png": "index.md", "stage-3-backpropagation.png": "stages/3-backpropagation.md"}
    for name, md in shots.items():
        visit = Visit(browser, page_url(server, md))
        try:
            path = SCREENSHOTS / name
            visit.page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
            print(f"screenshot: {path}")
        finally:
            visit.close()
