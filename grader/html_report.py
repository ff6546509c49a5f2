"""The grade as a web page: ``reports/grade-report.html``, beside the JSON report.

Rendered from the report document alone (plus the student's history), as
``terminal.py`` renders the terminal text, so the page and the report cannot
disagree. One self-contained file: inline CSS and SVG, no script, nothing
loaded from anywhere, light and dark by ``prefers-color-scheme``. A failed
check whose case is an expression graph shows that graph, every node's data
and grad beside the reference's, and the node where they first part.
"""

import math
from html import escape

from .graph_svg import Box, draw
from .history import SHOWN
from .instructor.atomic import write_atomic

FAILING = ("failed", "not_implemented", "error", "timeout", "crashed")
OUTCOME_WORDS = {"passed": "passed", "failed": "failed", "not_implemented": "not implemented yet",
                 "error": "error", "timeout": "timed out", "crashed": "crashed", "skipped": "skipped",
                 "not_run": "not run"}
SYMBOL = {"passed": "✓", "skipped": "–", "not_run": "–"}  # else ✗

CSS = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1a1a1a; --muted: #4d4d4d; --line: #8c8c8c;
  --panel: #f4f6f8; --link: #0b57d0; --pass: #1e6b2a; --fail: #b3261e; --warn: #7a4f00;
  --bar: #1e6b2a; --track: #d9dee3; --focus: #0b57d0; --failbg: #fdf1f0;
  --leaf: #eef7ee; --node: #e8f1fb; --part: #fde8e8; --op: #fdf0d5; --edge: #555555; --stroke: #4a6fa5; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #121417; --fg: #e8eaed; --muted: #b6bcc4; --line: #7d8590; --panel: #1d2126;
    --link: #8ab4f8; --pass: #81c995; --fail: #f6aea9; --warn: #fdd663; --bar: #81c995; --track: #3c4249;
    --focus: #8ab4f8; --failbg: #2a1d1d;
    --leaf: #1c3322; --node: #1b2a3d; --part: #4a1f1f; --op: #3d3320; --edge: #b6bcc4; --stroke: #8ab4f8; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, nav, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
footer { margin-top: 2rem; padding-bottom: 1rem; }
a { color: var(--link); }
a:focus-visible, summary:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--focus);
  outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .25rem .5rem; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 .2rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 0 0 .3rem; }
.meta { color: var(--muted); margin: 0; }
.total { font-size: 1.2rem; font-weight: 600; }
.score { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; }
.bar { width: 12rem; height: .8rem; background: var(--track); border: 1px solid var(--line);
  border-radius: .4rem; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--bar); }
nav ol { padding-left: 1.2rem; }
ul.checks { list-style: none; padding: 0; }
ul.checks > li { margin: .4rem 0; padding: .3rem .6rem; border-left: 4px solid var(--line); }
li.passed { border-left-color: var(--pass) !important; }
li.failing { border-left-color: var(--fail) !important; background: var(--failbg); padding: .6rem !important; }
.outcome { font-weight: 600; }
.passed .outcome { color: var(--pass); }
.failing .outcome { color: var(--fail); }
.points { color: var(--muted); }
dl.feedback { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: .5rem 0; }
dl.feedback dt { font-weight: 600; }
dl.feedback dd { margin: 0; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--panel); padding: .5rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.flag, .errors { color: var(--warn); font-weight: 600; }
figure { margin: .6rem 0; }
figcaption { color: var(--muted); font-size: .9rem; }
.scroll { overflow: auto; max-width: 100%; border: 1px solid var(--line); background: var(--bg); }
table { border-collapse: collapse; margin: .4rem 0; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .2rem .5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-family: ui-monospace, Menlo, Consolas, monospace; }
tr.part td, tr.part th { font-weight: 700; }
summary { cursor: pointer; color: var(--link); }
.spark { display: flex; flex-wrap: wrap; gap: 1rem 2rem; }
.spark figure { margin: 0; }
svg.graph .canvas { fill: var(--bg); }
svg.graph text { fill: var(--fg); }
svg.graph .leaf rect { fill: var(--leaf); stroke: var(--stroke); }
svg.graph .node rect { fill: var(--node); stroke: var(--stroke); }
svg.graph .part rect { fill: var(--part); stroke: var(--fail); }
svg.graph .box line { stroke: var(--stroke); }
svg.graph .part line { stroke: var(--fail); }
svg.graph text.note { fill: var(--fail); }
svg.graph .op { fill: var(--op); }
svg.graph .edge { stroke: var(--edge); }
svg.graph .arrowhead { fill: var(--edge); }
svg.chart .axis { stroke: var(--line); }
svg.chart polyline { stroke: var(--bar); fill: none; stroke-width: 2; }
svg.chart circle { fill: var(--bar); }
svg.chart text { fill: var(--fg); }
"""


def render(document, history=None):
    """The whole page for a report document.

    ``history`` is ``history.read``'s entries, oldest first, or None for a
    report that keeps none (one written elsewhere than the default place).
    """
    grading = document["grading"]
    stages = grading["stages"]
    body = [_header(grading), _nav(stages), "<main id=\"main\">"]
    if grading["errors"]:
        body.append(_errors(grading["errors"]))
    for stage in stages:
        body.append(_stage(stage, grading))
    body.append(_history(stages, None if history is None else list(history)[-SHOWN:]))
    body.append("</main>")
    body.append(f'<footer><p class="meta">micrograd-kit {escape(grading["kit_version"])} · graded '
                f'{escape(grading["timing"]["started"])} in {grading["timing"]["duration_s"]:g} s · '
                f'Python {escape(str(grading["environment"].get("python")))} · this page is the JSON '
                'report drawn; the JSON is what you submit</p></footer>')
    title = f"Grade report: {_num(grading['score'])} of {_num(grading['max_score'])}"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"color-scheme\" content=\"light dark\">\n"
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def write(document, path, history=None):
    """Write the page atomically, like the JSON report: a killed run leaves the previous page whole."""
    text = render(document, history)
    write_atomic(path, lambda f: f.write(text.encode("utf-8")))


# ---- the page's parts ----

def _header(grading):
    who = f" · student {escape(grading['student_id'])}" if grading["student_id"] else ""
    failing = next((c for s in grading["stages"] for c in s["checks"] if c["outcome"] in FAILING), None)
    skip = '<a class="skip" href="#first-failure">Skip to the first failed check</a>' if failing else \
        '<a class="skip" href="#main">Skip to the stages</a>'
    score, top = grading["score"], grading["max_score"]
    return (f"<header>{skip}<h1>micrograd-kit grade report</h1>"
            f'<p class="meta">{escape(grading["impl"]["path"])}{who}</p>'
            f'<div class="score total"><span>Total {_num(score)} of {_num(top)} points</span>'
            f"{_bar(score, top)}</div></header>")


def _nav(stages):
    items = "".join(f'<li><a href="#stage-{escape(s["id"])}">Stage {escape(s["id"])}: {escape(s["title"])}</a>'
                    f' — {_num(s["score"])} of {_num(s["max_score"])}'
                    f'{_count_failing(s)}</li>' for s in stages)
    return f'<nav aria-label="Stages"><ol>{items}<li><a href="#history">Your history</a></li></ol></nav>'


def _count_failing(stage):
    n = sum(c["outcome"] in FAILING for c in stage["checks"])
    return f", {n} check{'s' if n != 1 else ''} to fix" if n else ""


def _errors(errors):
    items = "".join(f"<li>{escape(e)}</li>" for e in errors)
    return (f'<section aria-labelledby="errors-h"><h2 id="errors-h" class="errors">The grader itself failed</h2>'
            f"<p>A problem in the kit, not in your code; this score may be incomplete.</p><ul>{items}</ul></section>")


def _stage(stage, grading):
    sid = escape(stage["id"])
    parts = [f'<section id="stage-{sid}" aria-labelledby="stage-{sid}-h">',
             f'<h2 id="stage-{sid}-h">Stage {sid}: {escape(stage["title"])}</h2>',
             f'<div class="score"><span>{_num(stage["score"])} of {_num(stage["max_score"])} points</span>'
             f'{_bar(stage["score"], stage["max_score"])}'
             f'<a href="{escape(stage["docs"])}">Stage {sid} in the docs</a></div>']
    for flag in grading["honesty"]["flags"]:
        if flag["stage"] == stage["id"]:
            parts.append(f'<p class="flag">This stage scores nothing: {escape(flag["reason"])}.</p>')
    parts.append('<ul class="checks">')
    for check in stage["checks"]:
        parts.append(_check(check, grading))
    parts.append("</ul></section>")
    return "".join(parts)


def _check(check, grading):
    outcome = check["outcome"]
    failing = outcome in FAILING
    first = failing and check is _first_failing(grading)
    what = check["description"] or check["name"]
    anchor = ' id="first-failure"' if first else ""
    parts = [f'<li class="{"failing" if failing else outcome}"{anchor}>',
             f'<span class="outcome">{SYMBOL.get(outcome, "✗")} {OUTCOME_WORDS[outcome]}</span>: '
             f'{escape(what)} <span class="points">({_num(check["points"])} of {_num(check["max_points"])} '
             f'point{"s" if check["max_points"] != 1 else ""})</span>']
    if failing or (outcome != "passed" and check["message"]):
        rows = [("Problem", check["message"]), ("Expected", check["expected"]), ("Got", check["got"]),
                ("Case", check["case"]), ("Hint", check["hint"])]
        items = "".join(f"<dt>{name}</dt><dd>{_code(value) if name in ('Expected', 'Got', 'Case') else escape(str(value))}</dd>"
                        for name, value in rows if value is not None)
        if check["docs"]:
            items += f'<dt>Docs</dt><dd><a href="{escape(check["docs"])}">{escape(_docs_words(check))}</a></dd>'
        parts.append(f'<dl class="feedback">{items}</dl>')
        if check.get("graph"):
            parts.append(_graph(check["graph"], _anchor(check["nodeid"])))
        if check["traceback"]:
            parts.append(f"<details><summary>Traceback</summary><pre>{escape(check['traceback'])}</pre></details>")
    parts.append("</li>")
    return "".join(parts)


def _first_failing(grading):
    return next((c for s in grading["stages"] for c in s["checks"] if c["outcome"] in FAILING), None)


def _docs_words(check):
    hint = (check["hint"] or "").split(":")[0].strip()
    return f"Read about it: {hint}" if hint else "Read about it in the docs"


# ---- a failed check's graph ----

def _graph(graph, ids):
    """The failing case drawn, its text alternative, and the same values as a table."""
    values, n_in = graph["values"], len(graph["inputs"])
    first = graph["first_difference"]
    short = _short_labels(graph)
    boxes = []
    for i, (label, value) in enumerate(zip(short, values)):
        node = graph["nodes"][i - n_in] if i >= n_in else None
        boxes.append(Box(label=label, op=_op_text(node) if node else "",
                         children=list(node["args"]) if node else [],
                         lines=[_line("data", value["data"], value["expected_data"]),
                                _line("grad", value["grad"], value["expected_grad"])],
                         marked=i == first, note="first difference" if i == first else ""))
    where = _where(graph, first, short)
    title = f"The failing case as a computational graph: {graph['formula']}"
    description = (f"{len(values)} values, inputs on the left, the output on the right. {where} "
                   "The table below lists every value.")
    svg = draw(boxes, title, description=description, ids=f"{ids}-g")
    caption = f"{escape(where)} Each box: the value's name, your data and grad, and the expected ones where " \
              "they differ; each oval: the operation that made the value."
    return (f'<figure><div class="scroll" tabindex="0" role="region" aria-label="{escape(title)} (scrolls)">'
            f"{svg}</div><figcaption>{caption}</figcaption></figure>"
            + _graph_table(graph, short, ids))


def _where(graph, first, short):
    if first is None:
        return "Every value matches the reference's here; the check failed on something the graph does not show."
    value, label = graph["values"][first], short[first]
    for kind in ("data", "grad"):
        got, want = value[kind], value[f"expected_{kind}"]
        if want is not None and got != want and not _same(got, want):
            text = f"The first difference is at {label}: its {kind} is {_show(got, want)}, expected {_show(want, got)}."
            if kind == "grad":
                users = _users(graph, first, short)
                if users:
                    text += f" Its grad is set by the _backward of {users}."
            return text
    return f"The first difference is at {label}: it was not built from its operands as expected (its _prev)."


def _users(graph, entry, short):
    n_in = len(graph["inputs"])
    return ", ".join(short[n_in + j] for j, node in enumerate(graph["nodes"]) if entry in node["args"])


def _graph_table(graph, short, ids):
    n_in = len(graph["inputs"])
    rows = []
    for i, (label, value) in enumerate(zip(graph["labels"], graph["values"])):
        node = graph["nodes"][i - n_in] if i >= n_in else None
        made = f"{_op_text(node)} of {', '.join(short[a] for a in node['args'])}" if node else "input"
        marked = i == graph["first_difference"]
        name = short[i] + (f" = {label}" if short[i] != label else "")
        cells = "".join(f'<td class="num">{escape(_show(value[k], value[o]))}</td>'
                        for k, o in (("data", "expected_data"), ("expected_data", "data"), ("grad", "expected_grad"),
                                     ("expected_grad", "grad")))
        row_class = ' class="part"' if marked else ""
        rows.append(f'<tr{row_class}><th scope="row">{escape(name)}'
                    f'{" (first difference)" if marked else ""}</th><td>{escape(made)}</td>{cells}</tr>')
    return (f"<details><summary>The graph as a table</summary><table><caption>Every value of "
            f"<code>{escape(graph['formula'])}</code>: yours and the expected one (— where not checked)</caption>"
            "<thead><tr><th scope=\"col\">value</th><th scope=\"col\">made by</th><th scope=\"col\">your data</th>"
            "<th scope=\"col\">expected data</th><th scope=\"col\">your grad</th><th scope=\"col\">expected grad</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></details>")


def _short_labels(graph):
    """Names short enough for a box: the formula's own (``a``, ``e``) or ``n1``, ``n2``... for long ones."""
    n_in = len(graph["inputs"])
    short = []
    for i, label in enumerate(graph["labels"]):
        if i < n_in:
            short.append(label)
        elif " = " in label and len(label.split(" = ")[0]) <= 4:
            short.append(label.split(" = ")[0])
        else:
            short.append(label if len(label) <= 12 else f"n{i - n_in + 1}")
    return short


def _op_text(node):
    k = node["k"]
    symbol = {"add": "+", "mul": "*", "sub": "-", "div": "/", "neg": "-", "pow": f"**{_fmt(k)}",
              "addk": f"+ {_fmt(k)}", "mulk": f"* {_fmt(k)}", "subk": f"- {_fmt(k)}", "divk": f"/ {_fmt(k)}",
              "radd": f"{_fmt(k)} +", "rmul": f"{_fmt(k)} *", "rsub": f"{_fmt(k)} -", "rdiv": f"{_fmt(k)} /"}
    return symbol.get(node["op"], node["op"])


def _line(kind, got, want):
    if got is None and want is None:
        return f"{kind} not checked here"
    if want is None:
        return f"{kind} {_show(got, want)}"
    if got is None:
        return f"{kind} not known (expected {_show(want, got)})"
    if _same(got, want):
        return f"{kind} {_show(got, want)} (as expected)"
    return f"{kind} {_show(got, want)} (expected {_show(want, got)})"


def _same(a, b):
    if _is_num(a) and _is_num(b):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    return a == b


def _show(x, other=None):
    """A number short, but with digits enough to tell it from ``other`` when the two differ."""
    if x is None:
        return "—"
    if not _is_num(x):
        return str(x)
    for digits in (5, 8, 12, 17):
        text = f"{x:.{digits}g}"
        if not _is_num(other) or _same(x, other) or text != f"{other:.{digits}g}":
            return text
    return repr(x)


def _fmt(k):
    return "" if k is None else f"{k:g}" if _is_num(k) else str(k)


def _is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# ---- history ----

def _history(stages, history):
    head = '<section id="history" aria-labelledby="history-h"><h2 id="history-h">Your history</h2>'
    if history is None:
        return (head + "<p>This report keeps no history: only grades written to the default "
                "<code>reports/grade-report.json</code> add to <code>reports/grade-history.jsonl</code>.</p></section>")
    if len(history) < 2:
        return (head + "<p>Each grade of this folder is added here (from <code>reports/grade-history.jsonl</code>); "
                "after two grades, a chart per stage shows how its score changed.</p></section>")
    charts = [_spark(stage, history) for stage in stages]
    charts = [c for c in charts if c]
    columns = [s for s in stages if any(s["id"] in h["stages"] for h in history)]
    head_row = "".join(f'<th scope="col">Stage {escape(s["id"])}</th>' for s in columns)
    rows = []
    for n, h in enumerate(history, 1):
        cells = "".join(f'<td class="num">{_num(h["stages"][s["id"]]["score"]) if s["id"] in h["stages"] else "—"}'
                        "</td>" for s in columns)
        rows.append(f'<tr><th scope="row">{n}: {escape(h["time"])}</th>{cells}'
                    f'<td class="num">{_num(h["score"])} of {_num(h["max_score"])}</td></tr>')
    table = (f"<details><summary>The history as a table</summary><table><caption>Score per stage in each of your "
             f"last {len(history)} grades, oldest first (— where the stage was not graded)</caption><thead><tr>"
             f'<th scope="col">grade</th>{head_row}<th scope="col">total</th></tr></thead>'
             f"<tbody>{''.join(rows)}</tbody></table></details>")
    return head + f'<div class="spark">{"".join(charts)}</div>' + table + "</section>"


def _spark(stage, history):
    """A small line chart of one stage's score over the grades that graded it."""
    points = [h["stages"][stage["id"]] for h in history if stage["id"] in h["stages"]]
    if len(points) < 2 or not stage["max_score"]:  # the bonus scores no points: nothing to chart
        return ""
    top = max(p["max_score"] for p in points) or 1
    w, h, pad = 180, 48, 6
    step = (w - 2 * pad) / (len(points) - 1)
    xy = [(pad + k * step, h - pad - (h - 2 * pad) * min(max(p["score"] / top, 0), 1)) for k, p in enumerate(points)]
    scores = ", ".join(_num(p["score"]) for p in points)
    sid = escape(stage["id"])
    title = (f"Stage {stage['id']}'s score over your last {len(points)} grades of it, out of {_num(top)}: {scores}")
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1e6b2a"/>' for x, y in xy)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="spark-{sid}-t" '
           f'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title id="spark-{sid}-t">{escape(title)}</title>'
           f'<line class="axis" x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#8c8c8c"/>'
           f'<line class="axis" x1="{pad}" y1="{pad}" x2="{w - pad}" y2="{pad}" stroke="#8c8c8c" '
           f'stroke-dasharray="2 3"/><polyline points="{line}" stroke="#1e6b2a" fill="none" stroke-width="2"/>'
           f"{dots}</svg>")
    return (f"<figure>{svg}<figcaption>Stage {sid}: now {_num(points[-1]['score'])} of {_num(top)}"
            "</figcaption></figure>")


# ---- small things ----

def _bar(score, top):
    share = max(0.0, min(1.0, score / top)) if top else 0.0
    return f'<span class="bar" aria-hidden="true"><span style="width:{100 * share:.1f}%"></span></span>'


def _code(value):
    return f"<code>{escape(str(value))}</code>"


def _num(x):
    return f"{x:g}" if _is_num(x) else escape(str(x))


def _anchor(nodeid):
    """An id for a check's drawings, from its node id (which holds ``/``, ``::`` and brackets)."""
    return "c-" + "".join(c if c.isalnum() else "-" for c in nodeid.rsplit("/", 1)[-1]).strip("-")
