"""The HTML grade report: written at every grade, self-contained, the failing graph drawn, history,
watch mode in a real process, and axe-core in real Chromium (light and dark) finding nothing.

axe-core comes bundled with ``axe-playwright-python`` (no CDN); Playwright
drives the system's Chromium as ``test_docs_browser.py`` does, never a
downloaded one.
"""

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from runner_support import validate
from test_corpus import BASE, MUTATIONS, assemble

from conftest import KIT_ROOT, pristine_stub_sources
from grader import cli, exprs, history, html_report
from grader.checks.graphs import graph_payload
from grader.report import shown_path

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright
except ImportError:
    Axe = sync_playwright = None

# Chromium as test_docs_browser.py finds and starts it: the system's, never a downloaded one
CHROMIUM = next((c for c in (os.environ.get("MICROGRAD_KIT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"))
                 if c and Path(c).is_file() and os.access(c, os.X_OK)), None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MISSING = ("no Chromium found (apt-get install chromium, or set MICROGRAD_KIT_CHROMIUM)" if CHROMIUM is None
           else "playwright and axe-playwright-python are not installed" if Axe is None else None)
REQUIRED = bool(os.environ.get("MICROGRAD_KIT_REQUIRE_BROWSER"))  # set by CI: never skip there

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ONE_BUG = "__mul__ forgets out.grad"  # stage 2: the rule of * drops out.grad


def one_bug_folder(path, name=ONE_BUG):
    folder = assemble(BASE, path)
    mutation = next(m for m in MUTATIONS if m["name"] == name)
    source = folder / f"{mutation['module']}.py"
    source.write_text(source.read_text().replace(mutation["find"], mutation["replace"]))
    return folder


def grade(capsys, folder, report, *args):
    """``python -m grader`` in this process (the same code path, without a second interpreter)."""
    status = cli.main(["--impl", str(folder), "--report", str(report), *map(str, args)])
    return status, capsys.readouterr()


class Links(HTMLParser):
    """Every URL the page could load or point to, and every tag it uses."""

    def __init__(self):
        super().__init__()
        self.tags, self.links, self.loads = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name == "href":
                self.links.append(value)
            elif name in ("src", "srcset", "data", "poster", "xlink:href"):
                self.loads.append(value)


def page_parts(text):
    parser = Links()
    parser.feed(text)
    return parser


def assert_self_contained(text, document):
    parts = page_parts(text)
    assert not parts.loads, f"the page loads {parts.loads}"
    assert not {"script", "link", "iframe", "img", "object", "embed"} & parts.tags
    assert not re.search(r"url\((?!#)", text) and "@import" not in text  # url(#arrow) is in the page
    docs = {c["docs"] for s in document["grading"]["stages"] for c in s["checks"]} | \
        {s["docs"] for s in document["grading"]["stages"]}
    # a written report holds links into the built site relative to the kit; the page, read here, opens them
    docs |= {(KIT_ROOT / link.partition("#")[0]).as_uri() + ("#" + link.partition("#")[2] if "#" in link else "")
             for link in docs if link and ":" not in link}
    outside = [link for link in parts.links if not link.startswith("#") and link not in docs]
    assert not outside, f"links that are neither in-page nor the report's docs links: {outside}"


@pytest.fixture(scope="module")
def one_bug(tmp_path_factory):
    """A one-bug submission graded through the command line: its JSON report and its HTML page."""
    tmp = tmp_path_factory.mktemp("one-bug")
    folder = one_bug_folder(tmp / "submission")
    report = tmp / "out" / "grade-report.json"
    status = cli.main(["--impl", str(folder), "--report", str(report), "--stage", "1", "--stage", "2",
                       "--stage", "3"])
    assert status == cli.OK
    document = json.loads(report.read_text())
    return document, report.with_suffix(".html")


@pytest.mark.parametrize("which", ["reference", "stubs"])
def test_every_grade_writes_a_self_contained_page_beside_the_json(which, tmp_path, capsys, pristine_stubs):
    folder = KIT_ROOT / "reference" if which == "reference" else pristine_stubs
    report = tmp_path / "out" / "my-report.json"
    status, out = grade(capsys, folder, report, "--stage", "0", "--stage", "1")
    page = tmp_path / "out" / "my-report.html"
    assert status == cli.OK and page.is_file()
    assert f"HTML report: {page}" in out.out
    document = json.loads(report.read_text())
    text = page.read_text()
    assert_self_contained(text, document)
    total = document["grading"]["score"]
    assert f"Total {total:g} of 30 points" in text
    for stage in document["grading"]["stages"]:
        assert f"{stage['score']:g} of {stage['max_score']} points" in text
        for check in stage["checks"]:
            assert html.escape(check["description"] or check["name"]) in text
    assert not (tmp_path / "out" / history.FILENAME).exists(), "history is kept for the default report only"
    assert "This report keeps no history" in text


def test_the_one_bug_report_draws_the_graph_where_the_gradient_departs(one_bug):
    document, page = one_bug
    validate(document)
    stage_2 = next(s for s in document["grading"]["stages"] if s["id"] == "2")
    lecture = next(c for c in stage_2["checks"] if c["name"] == "test_lecture_backward")
    graph = lecture["graph"]
    assert lecture["outcome"] == "failed" and graph["formula"] == "g(a, b, c, f) = (a*b + c)*f"
    # every node's data is right; the first grad that departs, from the output down, is a's:
    # a*b's rule forgot out.grad (-2), so a.grad is b's -3 instead of 6
    assert [v["data"] for v in graph["values"]] == [v["expected_data"] for v in graph["values"]]
    assert graph["first_difference"] == 0
    assert graph["values"][0] == {"data": 2.0, "grad": -3.0, "expected_data": 2.0, "expected_grad": 6.0}

    text = page.read_text()
    assert_self_contained(text, document)
    item = text[text.index('id="first-failure"'):]
    item = item[:item.index("</li>")]
    assert "a * b gives each operand" in item  # the first failed check is stage 2's rule of *
    lecture_item = text[text.index(html.escape(lecture["description"])):]
    lecture_item = lecture_item[:lecture_item.index("</li>")]
    svg = re.search(r"<svg.*?</svg>", lecture_item, re.S).group(0)
    marked = re.findall(r'<g class="box part">.*?</g>', svg, re.S)
    assert len(marked) == 1 and ">a<" in marked[0] and "first difference" in marked[0]
    assert "grad -3 (expected 6)" in marked[0]
    for op in ("*", "+"):
        assert f">{op}</text>" in svg  # the operations, drawn as the site draws them
    assert "The first difference is at a: its grad is -3, expected 6." in lecture_item
    assert "set by the _backward of a*b" in lecture_item
    assert lecture["hint"].split(":")[0] in lecture_item and lecture["docs"] in lecture_item


@pytest.mark.parametrize("mutation, op, wrong_data", [
    ("tanh forgets the 2 in e^2x", "tanh", True),
    ("log10 instead of the natural log", "log", True),  # inside generated graphs too, after a + 2.0 etc.
    ("_prev holds the operands' data", "mul", False),  # the right number, built from copies
])
def test_a_graph_that_was_built_wrong_parts_at_the_node_built_wrong(mutation, op, wrong_data, tmp_path, capsys):
    folder = one_bug_folder(tmp_path / "submission", mutation)
    status, _ = grade(capsys, folder, tmp_path / "r.json", "--stage", "1")
    document = json.loads((tmp_path / "r.json").read_text())
    validate(document)
    graphs = [c["graph"] for s in document["grading"]["stages"] for c in s["checks"] if "graph" in c]
    assert graphs
    for graph in graphs:
        first = graph["first_difference"]
        assert first is not None
        if wrong_data:  # a graph built from copies parts where an op built on the bad one is cut off too
            assert graph["nodes"][first - len(graph["inputs"])]["op"] == op
        assert (graph["values"][first]["data"] != graph["values"][first]["expected_data"]) == wrong_data
        assert all(v["data"] == v["expected_data"] for v in graph["values"][:first])


def test_where_values_part_data_from_the_inputs_up_then_grads_from_the_output_down():
    spec = exprs.parse("tanh(a*b) + a", "ab")  # entries: a, b, a*b, tanh(a*b), output
    data = exprs.evaluate(spec, [0.5, -1.0])
    grads = [0.58, -0.21, 0.42, 1.0, 1.0]

    def first(got_data=data, got_grads=grads):
        return graph_payload(spec, [0.5, -1.0], data=got_data, want_data=data, grads=got_grads,
                             want_grads=grads)["first_difference"]

    assert first() is None
    wrong_data = list(data)
    wrong_data[2] = wrong_data[4] = 9.0
    assert first(got_data=wrong_data, got_grads=[0.0] * 5) == 2  # a*b's data, before any grad
    assert first(got_grads=[0.0, 0.0, 0.0, 1.0, 1.0]) == 2  # tanh's rule: a*b is the first grad down
    assert first(got_grads=[0.0, -0.21, 0.42, 1.0, 1.0]) == 0  # then the inputs, in order
    payload = graph_payload(spec, [0.5, -1.0], data=[0.5, -1.0, float("nan"), {"not_a_number": "str",
                            "repr": "'x'"}, None], want_data=data)
    assert [v["data"] for v in payload["values"]][2:] == ["nan", "'x' (a str, not a number)", None]
    assert payload["first_difference"] == 2 and payload["labels"] == exprs.labels(spec)


def test_history_is_appended_for_the_students_own_runs_and_drawn(tmp_path, capsys, monkeypatch):
    reports = tmp_path / "reports"
    monkeypatch.setattr(cli, "DEFAULT_REPORT", reports / "grade-report.json")
    folder = one_bug_folder(tmp_path / "submission", "one-sided difference")
    log = reports / history.FILENAME
    assert cli.main(["--impl", str(folder), "--stage", "0"]) == cli.OK
    log.write_text(log.read_text() + "{not json\n" + '{"time": 3}\n')  # a broken line costs only itself
    (folder / "derivatives.py").write_text((KIT_ROOT / "reference" / "derivatives.py").read_text())
    assert cli.main(["--impl", str(folder), "--stage", "0"]) == cli.OK
    capsys.readouterr()

    runs = history.read(log, impl=shown_path(folder))  # as the report records it
    assert [r["stages"]["0"]["max_score"] for r in runs] == [10, 10]
    first, second = (r["stages"]["0"]["score"] for r in runs)
    assert first < second == 10
    assert len(log.read_text().splitlines()) == 4
    text = (reports / "grade-report.html").read_text()
    title = re.search(r'<svg[^>]*class="chart".*?<title[^>]*>(.*?)</title>', text, re.S).group(1)
    assert title == f"Stage 0&#x27;s score over your last 2 grades of it, out of 10: {first:g}, 10"
    assert f"<th scope=\"row\">2: {runs[1]['time']}</th>" in text


def test_a_page_that_cannot_be_written_is_said_and_the_grade_stands(tmp_path, capsys):
    report = tmp_path / "r.json"
    (tmp_path / "r.html").mkdir()  # a folder where the page should go
    status, out = grade(capsys, KIT_ROOT / "reference", report, "--stage", "0")
    assert status == cli.OK and validate(json.loads(report.read_text()))
    assert "the HTML report" in out.err and "could not be" in out.err
    assert "HTML report:" not in out.out


def run_grader(*args, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=KIT_ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "NO_COLOR": "1", **(env or {})})


def test_open_opens_the_page_in_the_browser_or_says_there_is_none(tmp_path):
    report, opened = tmp_path / "r.json", tmp_path / "opened.txt"
    # webbrowser runs $BROWSER with %s replaced by the page's URL: here a shell that writes it down
    done = run_grader("--impl", "reference", "--stage", "0", "--report", report, "--open",
                      env={"BROWSER": f"/bin/sh -c 'echo \"$0\" > {opened}' %s"})
    assert done.returncode == 0, done.stderr
    assert opened.read_text().strip() == report.with_suffix(".html").as_uri()
    done = run_grader("--impl", "reference", "--stage", "0", "--report", report, "--open",
                      env={"BROWSER": str(tmp_path / "no-such-browser"), "DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert f"no web browser found here; open {report.with_suffix('.html')} in one yourself" in done.stderr


def test_watch_takes_no_final_score_options(capsys):
    for option in (["--fail-under", "50"], ["--gradescope", "results.json"]):
        assert cli.main(["--watch", *option]) == cli.USAGE
        assert "--watch regrades until you stop it" in capsys.readouterr().err


def test_watch_regrades_the_stages_a_save_touches(tmp_path):
    """A real ``python -m grader --watch``: a save in derivatives.py regrades stage 0 only; Ctrl-C ends it."""
    folder = assemble(BASE, tmp_path / "submission")
    report = tmp_path / "out" / "grade-report.json"
    process = subprocess.Popen([sys.executable, "-m", "grader", "--impl", str(folder), "--report", str(report),
                                "--stage", "0", "--stage", "4", "--watch"], cwd=KIT_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "NO_COLOR": "1"})
    lines = []
    reader = threading.Thread(target=lambda: [lines.append(line) for line in process.stdout], daemon=True)
    reader.start()

    def wait_for(text, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(lines)):
                return
            assert process.poll() is None, "".join(lines)
            time.sleep(0.05)
        pytest.fail(f"no {text!r} within {timeout} s:\n" + "".join(lines))

    try:
        wait_for("Watching")
        assert json.loads(report.read_text())["grading"]["score"] == 25
        mutation = next(m for m in MUTATIONS if m["name"] == "one-sided difference")
        source = folder / "derivatives.py"
        source.write_text(source.read_text().replace(mutation["find"], mutation["replace"]))
        wait_for("All stages:")
        assert any("derivatives.py saved: regrading stage 0" in line for line in lines)
        assert not any("regrading stage 4" in line or "regrading stages" in line for line in lines)
        document = json.loads(report.read_text())
        validate(document)
        scores = {s["id"]: s["score"] for s in document["grading"]["stages"]}
        assert scores["4"] == 15 and scores["0"] < 10  # stage 4 kept, stage 0 regraded
        assert document["grading"]["score"] == scores["0"] + 15
        assert report.with_suffix(".html").is_file()
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=60)
        reader.join(timeout=10)
    assert status == 0
    assert "watch stopped" in "".join(lines) and "Traceback" not in "".join(lines)


# ---- in the browser ----

browser_needed = pytest.mark.skipif(bool(MISSING) and not REQUIRED,
                                    reason=f"{MISSING}: browser checks of the HTML report skipped")


@pytest.fixture(scope="module")
def chromium():
    if MISSING:
        pytest.fail(f"MICROGRAD_KIT_REQUIRE_BROWSER is set but {MISSING}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page_with_history(one_bug, tmp_path_factory):
    """The one-bug report drawn again with a history of three grades, so the charts are on the page too."""
    document, _ = one_bug
    earlier = json.loads(json.dumps(document))
    for stage in earlier["grading"]["stages"]:
        stage["score"] = 0.0
    path = tmp_path_factory.mktemp("page") / "grade-report.html"
    html_report.write(document, path, [history.entry(earlier), history.entry(document), history.entry(document)])
    return path


@pytest.fixture(scope="module")
def stubs_page(tmp_path_factory):
    """The pristine stubs' report: every check not implemented, with tracebacks."""
    tmp = tmp_path_factory.mktemp("stubs")
    folder = tmp / "student"
    folder.mkdir()
    for name, text in pristine_stub_sources().items():
        (folder / name).write_text(text)
    assert cli.main(["--impl", str(folder), "--report", str(tmp / "r.json"), "--stage", "0", "--stage", "4"]) == 0
    return tmp / "r.html"


def open_page(chromium, path, scheme):
    context = chromium.new_context(viewport={"width": 1100, "height": 800}, color_scheme=scheme)
    requests = []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()
                                         if route.request.url.startswith("file:") else route.abort()))
    page = context.new_page()
    page.goto(path.as_uri())
    return context, page, requests


@browser_needed
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("which", ["one bug, with history", "pristine stubs"])
def test_axe_finds_no_wcag_violation(chromium, which, scheme, request):
    path = request.getfixturevalue("page_with_history" if which.startswith("one bug") else "stubs_page")
    context, page, requests = open_page(chromium, path, scheme)
    try:
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(255, 255, 255)" if scheme == "light" else "rgb(18, 20, 23)")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")  # tables too
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG},
                                           "resultTypes": ["violations"]})
        violations = [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                      for v in results.response["violations"]]
        assert not violations, "\n".join(violations)
        assert all(url.startswith("file:") for url in requests), f"the page asked for {requests}"
    finally:
        context.close()


@browser_needed
def test_every_picture_says_what_it_shows(chromium, page_with_history):
    context, page, _ = open_page(chromium, page_with_history, "light")
    try:
        names = page.evaluate("""[...document.querySelectorAll('svg')].map(svg => {
            const ids = (svg.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
            return [svg.getAttribute('role'), svg.getAttribute('class'),
                    ids.map(id => document.getElementById(id).textContent).join(' ')];
        })""")
        graphs = [name for role, kind, name in names if kind == "graph"]
        charts = [name for role, kind, name in names if kind == "chart"]
        assert all(role == "img" for role, _, _ in names)
        assert graphs and all(re.match(r"The failing case as a computational graph: [fgh]\(", name) for name in graphs)
        assert all("first difference is at" in name for name in graphs)
        assert len(charts) == 3 and all(re.search(r"out of \d+: 0, \d+, \d+$", name) for name in charts)
    finally:
        context.close()


@browser_needed
def test_the_page_works_from_the_keyboard(chromium, page_with_history):
    context, page, _ = open_page(chromium, page_with_history, "dark")
    try:
        page.keyboard.press("Tab")
        first = page.evaluate("[document.activeElement.textContent, getComputedStyle(document.activeElement).left]")
        assert first[0] == "Skip to the first failed check" and first[1] != "-999px"  # visible when focused
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#first-failure"
        seen = []
        for _ in range(60):  # on from the first failure, to the end of the page
            page.keyboard.press("Tab")
            focused = page.evaluate("""(() => { const e = document.activeElement;
                return [e.tagName, e.getAttribute('role'), getComputedStyle(e).outlineStyle]; })()""")
            if focused[0] == "BODY":
                break
            seen.append(focused)
        assert ["DIV", "region"] in [s[:2] for s in seen], "the wide graph's scroll box takes the focus"
        assert "SUMMARY" in [s[0] for s in seen]
        assert all(style != "none" for _, _, style in seen), "every focused element shows an outline"
        page.keyboard.press("Shift+Tab")
        table_toggle = page.locator("summary", has_text="The graph as a table").first
        table_toggle.focus()
        page.keyboard.press("Enter")
        assert table_toggle.evaluate("s => s.parentElement.open")
    finally:
        context.close()
