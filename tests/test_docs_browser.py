"""The built site in a real browser: Debian's Chromium, headless, driven by Playwright.

Every page is opened from a local HTTP server with every request to another
host blocked and recorded, so "works offline" is tested, not assumed. No
browser is ever downloaded: Playwright drives the system's Chromium through
``executable_path``. Screenshots land in ``reports/screenshots/``.

Accessibility is audited with axe-core (bundled by ``axe-playwright-python``)
on every page in the light and the dark scheme, against the WCAG 2.0 and 2.1
A and AA rules, and the keyboard is tried for real: Tab through every page.
"""

import functools
import http.server
import os
import re
import shutil
import threading
from html import unescape
from pathlib import Path
from urllib.parse import urlparse

import pytest

from test_docs_build import KIT_ROOT, built_site, nav_pages, page_html  # noqa: F401 -- the session's one build

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
try:
    from axe_playwright_python.sync_playwright import Axe
except ImportError:
    Axe = None
MISSING = ("no Chromium found (apt-get install chromium, or set MICROGRAD_KIT_CHROMIUM)" if CHROMIUM is None
           else "the playwright package is not installed" if sync_playwright is None
           else "the axe-playwright-python package is not installed" if Axe is None else None)
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
    url = urlparse(route.request.url)
    if url.scheme == "file" or url.hostname == "127.0.0.1":
        route.continue_()
    else:
        external.append(route.request.url)
        route.abort()


class Visit:
    """One page, open, with its console errors and its attempts to reach the internet.

    ``scheme`` is the reader's system preference ("light" or "dark"), which
    the site's palette follows.
    """

    def __init__(self, context, url, scheme="light"):
        context.external.clear()
        self.external, self.errors = context.external, []
        self.page = context.new_page()
        self.page.emulate_media(color_scheme=scheme)
        # a reader new to the site: Material would otherwise reuse the palette of an earlier visit
        self.page.add_init_script("window.localStorage.clear()")
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url} answered {response and response.status}"

    def close(self):
        self.page.close()


def page_url(base, md):
    stem = md.removesuffix(".md")
    return f"{base}{stem}.html"


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


def test_from_its_files_every_menu_link_opens_a_page(browser, built_site):  # noqa: F811
    """With no server, as the grader's links open site/, the menu leads to pages, not to folder listings."""
    visit = Visit(browser, (built_site.site / "index.html").as_uri())
    try:
        links = visit.page.eval_on_selector_all(".md-nav--primary a.md-nav__link[href]",
                                                "links => links.map(link => link.href.split('#')[0])")
        assert len(set(links)) >= len(nav_pages()), links
        for link in sorted(set(links)):
            visit.page.goto(link, wait_until="load")
            assert visit.page.locator("article h1").count() == 1, f"{link} opens no page"
        assert visit.errors == [] and visit.external == []
    finally:
        visit.close()


@pytest.mark.parametrize("where", ["served", "files"])
def test_search_finds_backpropagation_offline(browser, server, built_site, where):  # noqa: F811
    """Served, or from site/ with no server (the offline plugin's index, run by the vendored shim)."""
    visit = Visit(browser, server if where == "served" else (built_site.site / "index.html").as_uri())
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
    shots = {"home.png": ("index.md", "light"), "stage-3-backpropagation.png": ("stages/3-backpropagation.md", "light"),
             "stage-3-backpropagation-dark.png": ("stages/3-backpropagation.md", "dark")}
    for name, (md, scheme) in shots.items():
        visit = Visit(browser, page_url(server, md), scheme)
        try:
            path = SCREENSHOTS / name
            visit.page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
            print(f"screenshot: {path}")
        finally:
            visit.close()


# ---- accessibility: axe-core, and the keyboard ----

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = {"light": "default", "dark": "slate"}  # the reader's preference -> Material's palette


def axe_violations(page):
    """axe-core's WCAG 2.0/2.1 A and AA violations on the open page."""
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response["violations"]


def readable(violations, shown=6):
    """Violations as a person reads them: rule, impact, what it asks, and where it fails."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -- {violation['helpUrl']}")
        for node in violation["nodes"][:shown]:
            why = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {' > '.join(map(str, node['target']))}: {node['html'][:120]}\n        {why[:300]}")
        if len(violation["nodes"]) > shown:
            lines.append(f"    ... and {len(violation['nodes']) - shown} more")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("md", nav_pages())
def test_page_meets_wcag_21_aa_in_both_schemes(browser, server, md, scheme):
    visit = Visit(browser, page_url(server, md), scheme)
    try:
        shown = visit.page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert shown == SCHEMES[scheme], f"{md}: the {scheme} preference showed the {shown} palette"
        violations = axe_violations(visit.page)
        assert not violations, f"{md}, {scheme} scheme: {len(violations)} WCAG 2.1 AA violations\n{readable(violations)}"
    finally:
        visit.close()


def test_every_generated_picture_says_what_it_shows(built_site):  # noqa: F811
    """Alt text from the page (what the picture is) and from the build (what it shows, in numbers);
    the same words inside the SVG, for a reader who opens the picture on its own."""
    img = re.compile(r'<img alt="([^"]*)" src="[^"]*generated/([^"]+\.svg)"')
    alts = {name: unescape(alt) for md in nav_pages() for alt, name in img.findall(page_html(built_site.site, md))}
    assert sorted(alts) == sorted(p.name for p in (built_site.site / "generated").glob("*.svg"))
    for name, alt in alts.items():
        assert len(alt) > 120 and any(ch.isdigit() for ch in alt), f"{name}: the alt text says too little: {alt!r}"
        svg = (built_site.site / "generated" / name).read_text(encoding="utf-8")
        desc = re.search(r"<desc>(.*?)</desc>", svg, re.S)
        assert 'role="img"' in svg and "<title>" in svg and desc and unescape(desc[1]) in alt, name
    assert "a = 2 (grad 6) and b = -3 (grad -4) go into *" in alts["lecture-graph.svg"]
    assert "giving L = -8 (grad 1)" in alts["lecture-graph.svg"]
    assert "giving o = 0.7071 (grad 1)" in alts["neuron-graph.svg"]


RECORD_TAB_STOPS = """() => {
  const scrolls = el => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
  const wanted = [...document.querySelectorAll('article a[href], article .math-block, article pre > code')]
    .filter(el => el.checkVisibility() && (el.tagName !== 'CODE' || scrolls(el)));  // code that scrolls
  wanted.forEach((el, i) => el.dataset.kitStop = String(i + 1));
  const ring = s => s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1;
  window.kitStop = () => {  // where the focus is now, and whether it shows
    const el = document.activeElement, box = el.getBoundingClientRect();
    const label = el.matches('input.md-option') ? el.nextElementSibling : null;  // Material's palette toggle
    return {
      what: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '')
            + (el.getAttribute('href') ? '[href=' + el.getAttribute('href') + ']' : ''),
      id: el.dataset.kitStop || '',
      visible: box.width > 0 && box.height > 0,
      ring: ring(getComputedStyle(el)) || (label !== null && ring(getComputedStyle(label))),
      typing: el.matches('input[type=text], input[type=search], input:not([type])'),
    };
  };
  window.kitStops = [];  // each stop, seen when the next key is pressed: its focus style has settled
  document.addEventListener('keydown', () => window.kitStops.push(window.kitStop()), true);
  return wanted.length;
}"""


# One page of each kind (every page shares the template): prose with code, maths and pictures, and
# the API reference. Tabbing is key by key, slow enough on a busy machine to spend it wisely.
KEYBOARD_PAGES = ["index.md", "stages/0-derivatives.md", "api.md"]


@pytest.mark.parametrize("md", KEYBOARD_PAGES)
def test_keyboard_alone_reaches_everything_and_shows_the_focus(browser, server, md):
    """Tab from the top: the first stop is "Skip to content"; then every link, display formula and
    scrolling code block of the article is reached, and each visible stop shows a focus ring."""
    visit = Visit(browser, page_url(server, md))
    try:
        page = visit.page
        wanted = page.evaluate(RECORD_TAB_STOPS)
        for presses in range(1, wanted + 300):  # until the focus leaves the page's last stop
            page.keyboard.press("Tab")
            if presses % 20 == 0 and page.evaluate("kitStop().what") == "body":
                break
        stops = page.evaluate("window.kitStops.slice(1)")  # [0]: the page before the first Tab
        stops = stops[:next((i for i, stop in enumerate(stops) if stop["what"] == "body"), len(stops))]
        assert "md-skip" in stops[0]["what"] and stops[0]["visible"], f"{md}: the first Tab stop is {stops[0]}"
        missed = sorted({str(i) for i in range(1, wanted + 1)} - {stop["id"] for stop in stops}, key=int)
        assert not missed, f"{md}: Tab never reaches {len(missed)} of the article's {wanted} links/formulas/code"
        unringed = [s["what"] for s in stops if s["visible"] and not s["ring"] and not s["typing"]]
        assert not unringed, f"{md}: no visible focus on {unringed[:10]}"
    finally:
        visit.close()


def test_skip_link_and_palette_toggle_work_from_the_keyboard(browser, server):
    """Enter on "Skip to content" moves to the article; Enter on the palette toggle switches schemes.

    In a context of its own: the site remembers the chosen palette, which must not reach other tests.
    """
    context = browser.browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", functools.partial(_local_only, []))
    try:
        page = context.new_page()
        page.goto(page_url(server, "stages/3-backpropagation.md"), wait_until="load")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert page.url.endswith("#stage-3-backpropagation")
        page.reload(wait_until="load")
        for _ in range(6):  # from the top: the skip link, the logo, then the header's palette toggle
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.matches('input.md-option')"):
                break
        else:
            pytest.fail("the palette toggle cannot be reached with the keyboard")
        before = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.body.getAttribute('data-md-color-scheme') !== {before!r}", timeout=10_000)
        after = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert {before, after} == {"default", "slate"}
    finally:
        context.close()
