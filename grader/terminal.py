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


def render(document, *, style=Style(), verbose=False, report_path=None, shown=(), note=None):
    """The whole terminal text for a report document.

    ``shown``: the header and stage lines already printed while grading
    (``header``, ``stage_lines``); when the finished report says the same,
    only what follows them is rendered. ``note``: one line said just before the total.
    """
    grading = document["grading"]
    summary = header(grading["kit_version"], grading["impl"]["path"], grading["student_id"], style) + [""]
    for stage in grading["stages"]:
        summary += stage_lines(stage, _flagged(stage, grading), style)
    lines = [] if list(shown) == summary else summary
    fixes = _fixes(grading, style, verbose)
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
    if note:
        lines += [style.paint(note, YELLOW), ""]
    lines.append(_total(grading, style, report_path))
    return "\n".join(lines) + "\n"


def header(kit_version, path, student_id, style=Style()):
    """The first lines: what is graded, for whom; printed before any check runs."""
    who = f" {style.symbol('dash')} student {student_id}" if student_id else ""
    return [style.paint(f"micrograd-kit {kit_version}", BOLD) + f" {style.symbol('dash')} grading {path}{who}"]


def stage_lines(stage, flagged=False, style=Style()):
    """A stage's summary (the report's stage object), printed as soon as its last check is done."""
    checks = stage["checks"]
    score, top = stage["score"], stage["max_score"]
    filled = round(10 * score / top) if top else (10 if checks and _all(checks, "passed") else 0)
    bar = style.symbol("full") * filled + style.symbol("empty") * (10 - filled)
    colour = GREEN if top and score >= top else (YELLOW if score > 0 else RED)
    head = (f"  {'Stage ' + stage['id']:<11} {stage['title']:<28} "
            + style.paint(f"{_num(score):>5}/{top:<3}", colour) + f" {bar}  ")
    if flagged:
        return [head + style.paint("scores 0: flagged, see below", RED)]
    if checks and _all(checks, "not_implemented"):
        return [head + "not implemented yet", f"{'':14}start at {stage['docs']}"]
    if checks and _all(checks, "skipped"):
        return [head + "skipped", f"{'':14}{checks[0]['message']}"]
    return [head + "".join(_mark(check, style) for check in checks)]


def _fixes(grading, style, verbose):
    """One block of lines per thing to fix; what went wrong the same way is said once."""
    fail = style.symbol("fail")
    blocks = [_flag_block(module, *found, style) for module, found in _flags(grading).items()]
    failures, idle = {}, {}
    for stage in grading["stages"]:
        checks = stage["checks"]
        if _flagged(stage, grading):
            continue  # the stage scores 0 whatever its checks say
        todo = [c for c in checks if c["outcome"] == "not_implemented"]
        if todo and len(todo) < len(checks):  # a wholly unimplemented stage is in the summary
            blocks.append([style.paint(f"{fail} Stage {stage['id']}: not implemented yet", RED, BOLD)]
                          + _field("checks", _names(todo), style) + _field("start at", stage["docs"], style))
        for check in checks:
            if check["outcome"] in FAILING and check["outcome"] != "not_implemented":
                key = tuple(check[k] for k in ("outcome", "message", "expected", "got", "case", "hint_id"))
                failures.setdefault(key, []).append((stage["id"], check))
            elif check["outcome"] == "not_run":
                idle.setdefault(check["message"], []).append(check)
    blocks += [_failure(group, style, verbose) for group in failures.values()]
    for message, checks in idle.items():
        text = f"{style.symbol('idle')} {len(checks)} check{'s' * (len(checks) > 1)} {message}"
        blocks.append([style.paint(line, YELLOW) for line in textwrap.wrap(text, WIDTH, subsequent_indent="  ")])
    return blocks


def _flag_block(module, stages, reasons, style):
    cheat = HINTS["used-reference"]
    scored = _stages(stages).lower() + (" scores 0" if len(stages) == 1 else " score 0")
    title = f"{style.symbol('fail')} {module}.py is flagged: {scored}"
    lines = [style.paint(title, RED, BOLD)]
    for i, reason in enumerate(reasons):
        lines += _field("why" if i == 0 else "", reason, style)
    return lines + _field("hint", f"{cheat.title}: {cheat.text}", style) + _field("docs", cheat.docs, style)


def _failure(group, style, verbose):
    """The block for one failure, or for several checks that failed with the same message."""
    stages = list(dict.fromkeys(stage for stage, _ in group))
    check = group[0][1]
    points = f"  (0 of {_num(sum(c['max_points'] for _, c in group))} points)"
    if len(group) == 1:
        title = f"{style.symbol('fail')} Stage {stages[0]} {style.symbol('dash')} {_title(check)}"
    else:
        title = f"{style.symbol('fail')} {len(group)} checks of {_stages(stages).lower()} failed the same way"
    title_lines = textwrap.wrap(title, WIDTH, subsequent_indent="  ")
    lines = [style.paint(line, RED, BOLD) for line in title_lines]
    if len(title_lines[-1]) + len(points) <= WIDTH:
        lines[-1] += points
    else:
        lines.append(" " + points)
    if len(group) > 1:
        lines += _field("checks", _names([c for _, c in group]), style)
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
                                 break_long_words="://" not in paragraph) or [""]  # links stay whole
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


def _flags(grading):
    """``{module: (stage ids, reasons)}`` for the modules honesty flags name."""
    flags = {}
    for flag in grading["honesty"]["flags"]:
        stages, reasons = flags.setdefault(flag["module"], ([], []))
        if flag["stage"] not in stages:
            stages.append(flag["stage"])
        if flag["reason"] not in reasons:
            reasons.append(flag["reason"])
    return flags


def _flagged(stage, grading):
    return any(f["stage"] == stage["id"] for f in grading["honesty"]["flags"])


def _stages(ids):
    return f"Stage {ids[0]}" if len(ids) == 1 else f"Stages {', '.join(ids)}"


def _names(checks, shown=8):
    names = [c["name"].removeprefix("test_").replace("_", " ") for c in checks]
    more = f", and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _title(check):
    if check["description"]:
        return check["description"]
    name = check["name"].removeprefix("test_")
    return name.replace("_", " ")


def _all(checks, outcome):
    return all(c["outcome"] == outcome for c in checks)


def _num(x):
    return f"{x:g}"
