"""The grade as a student reads it: a one-screen summary per stage, then what to fix, then the total.

Rendered from the report document alone, so what the terminal says and what
the report records cannot disagree.
"""

import os
import textwrap
from dataclasses import dataclass

from .hints import HINTS
from .stages import STAGES

WIDTH = 88
FAILING = ("failed", "not_implemented", "error", "timeout", "crashed")


@dataclass(frozen=True)
class Style:
    """How to draw: colour or not, Unicode symbols or plain ASCII."""

    color: bool = False
    unicode: bool = True

    def symbol(self, name):
        fancy, plain = {"pass": ("✓", "+"), "fail": ("✗", "x"), "idle": ("·", "-"), "full": ("█", "#"),
                        "empty": ("░", "."), "dash": ("—", "--")}[name]
        return fancy if self.unicode else plain

    def paint(self, text, *codes):
        return f"\033[{';'.join(codes)}m{text}\033[0m" if self.color and codes else text


GREEN, RED, YELLOW, BOLD, DIM = "32", "31", "33", "1", "2"


def style_for(stream):
    """Colour only on a terminal and without NO_COLOR; Unicode only when the stream encodes UTF-8."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    isatty = getattr(stream, "isatty", None)
    color = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")
    return Style(color=color, unicode=encoding == "utf8")


def render(document, *, style=Style(), verbose=False, report_path=None):
    """The whole terminal text for a report document."""
    grading = document["grading"]
    lines = _header(grading, style) + [""]
    for stage in grading["stages"]:
        lines += _stage_summary(stage, grading, style)
    fixes = [block for stage in grading["stages"] for block in _stage_fixes(stage, grading, style, verbose)]
    if fixes:
        lines += ["", style.paint("What to fix", BOLD), ""]
        for block in fixes:
            lines += block + [""]
    else:
        lines.append("")
    if grading["errors"]:
        lines += [style.paint("The grader itself failed", RED, BOLD)
                  + " (a problem in the kit, not in your code; this score may be incomplete):"]
        lines += [f"  {style.symbol('fail')} {error}" for error in grading["errors"]] + [""]
    lines.append(_total(grading, style, report_path))
    return "\n".join(lines) + "\n"


def _header(grading, style):
    who = f" {style.symbol('dash')} student {grading['student_id']}" if grading["student_id"] else ""
    return [style.paint(f"micrograd-kit {grading['kit_version']}", BOLD)
            + f" {style.symbol('dash')} grading {grading['impl']['path']}{who}"]


def _stage_summary(stage, grading, style):
    checks = stage["checks"]
    score, top = stage["score"], stage["max_score"]
    filled = round(10 * score / top) if top else (10 if checks and _all(checks, "passed") else 0)
    bar = style.symbol("full") * filled + style.symbol("empty") * (10 - filled)
    colour = GREEN if top and score >= top else (YELLOW if score > 0 else RED)
    head = (f"  {'Stage ' + stage['id']:<11} {stage['title']:<28} "
            + style.paint(f"{_num(score):>5}/{top:<3}", colour) + f" {bar}  ")
    lines = []
    flags = _flags(stage, grading)
    if flags:
        lines = [head + style.paint("scores 0", RED)]
        lines += [f"{'':14}{style.symbol('fail')} {flag['reason']}" for flag in flags]
    elif checks and _all(checks, "not_implemented"):
        lines = [head + "not implemented yet", f"{'':14}start at {stage['docs']}"]
    elif checks and _all(checks, "skipped"):
        lines = [head + f"skipped: {checks[0]['message']}"]
    else:
        lines = [head + "".join(_mark(check, style) for check in checks)]
    return lines


def _stage_fixes(stage, grading, style, verbose):
    """One block of lines per thing to fix in this stage."""
    checks = stage["checks"]
    where = f"Stage {stage['id']}"
    blocks = []
    cheat = HINTS["used-reference"]
    for flag in _flags(stage, grading):
        blocks.append([style.paint(f"{style.symbol('fail')} {where} scores 0: {flag['reason']}", RED)]
                      + _field("hint", f"{cheat.title}: {cheat.text}", style) + _field("docs", cheat.docs, style))
    if checks and _all(checks, "not_implemented"):
        return blocks  # the summary already says where to start
    todo = [c for c in checks if c["outcome"] == "not_implemented"]
    if todo:
        names = ", ".join(_title(c) for c in todo)
        blocks.append([style.paint(f"{style.symbol('fail')} {where}: not implemented yet", RED) + f" ({names})"]
                      + _field("start at", stage["docs"], style))
    for check in checks:
        if check["outcome"] in FAILING and check["outcome"] != "not_implemented":
            blocks.append(_failure(where, check, style, verbose))
    idle = [c for c in checks if c["outcome"] == "not_run"]
    if idle:
        blocks.append([style.paint(f"{style.symbol('idle')} {where}: {len(idle)} check(s) "
                                   f"{idle[0]['message']}", YELLOW)])
    return blocks


def _failure(where, check, style, verbose):
    title = f"{style.symbol('fail')} {where} {style.symbol('dash')} {_title(check)}"
    lines = [style.paint(title, RED, BOLD) + f"  (0 of {_num(check['max_points'])} points)"]
    lines += _field("problem", check["message"], style)
    for name in ("expected", "got", "case", "hint", "docs"):
        if check[name] is not None:
            lines += _field(name, str(check[name]), style)
    if verbose and check["traceback"]:
        lines += _field("traceback", "", style)
        lines += ["      " + line for line in check["traceback"].rstrip().splitlines()]
    return lines


def _field(label, text, style):
    """``label  text``, the text wrapped under itself."""
    indent = " " * 14
    paragraphs = str(text).splitlines() or [""]
    wrapped = []
    for paragraph in paragraphs:
        wrapped += textwrap.wrap(paragraph, WIDTH - len(indent), break_on_hyphens=False,
                                 break_long_words=False) or [""]
    first = "    " + style.paint(f"{label:<10}", DIM)
    return [first + wrapped[0]] + [indent + line for line in wrapped[1:]]


def _total(grading, style, report_path):
    selected = grading["selected_stages"]
    scope = "" if len(selected) == len(STAGES) else f" (stage{'s' * (len(selected) > 1)} {', '.join(selected)})"
    text = style.paint(f"Total {_num(grading['score'])}/{grading['max_score']}", BOLD) + scope
    if report_path:
        text += f"   report: {report_path}"
    return text


def _mark(check, style):
    if check["outcome"] == "passed":
        return style.paint(style.symbol("pass"), GREEN)
    if check["outcome"] in FAILING:
        return style.paint(style.symbol("fail"), RED)
    return style.paint(style.symbol("idle"), DIM)


def _flags(stage, grading):
    return [f for f in grading["honesty"]["flags"] if f["stage"] == stage["id"]]


def _title(check):
    if check["description"]:
        return check["description"]
    name = check["name"].removeprefix("test_")
    return name.replace("_", " ")


def _all(checks, outcome):
    return all(c["outcome"] == outcome for c in checks)


def _num(x):
    return f"{x:g}"
