"""The class summary: how each stage went, and what to reteach on Monday.

Built from the regraded reports only (never from what students claimed):
score distributions per stage, the checks the class got wrong most often,
and the hints they were shown most, each with its docs link.
"""

import statistics
import time
from collections import Counter, defaultdict

from ..hints import HINTS
from ..stages import STAGES, docs_url
from . import claims

WRONG = {"failed", "error", "timeout", "crashed"}  # an answer, and not the right one
BINS = ("0%", "1-24%", "25-49%", "50-74%", "75-99%", "100%")
NOT_A_MISCONCEPTION = {"not-implemented"}  # unfinished work is counted per stage instead
TOP = 15


def summarize(outcomes, stages=None):
    """The summary document (summary.json) for a list of ``collect.Outcome``."""
    graded = [o for o in outcomes if not o.error]
    reports = [o.regraded for o in graded]
    chosen = [s for s in STAGES if s.points and (not stages or s.id in stages)]
    return {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "kit_version": next((claims.grading(r).get("kit_version") for r in reports), None),
        "submissions": len(outcomes),
        "graded": len(graded),
        "not_graded": [{"student_id": o.student_id, "submission": o.submission, "reason": "; ".join(o.details)}
                       for o in outcomes if o.error],
        "flags": dict(Counter(f for o in outcomes for f in o.flags)),
        "flagged": [{"student_id": o.student_id, "submission": o.submission, "flags": o.flags,
                     "details": o.details}
                    for o in outcomes if set(o.flags) - {"no_report", "error"}],
        "total": _distribution([claims.total(r) for r in reports], sum(s.points for s in chosen)),
        "stages": [_stage(stage, reports) for stage in chosen],
        "checks": _checks(reports),
        "hints": _hints(reports),
    }


def _stage(stage, reports):
    entries = [_find_stage(r, stage.id) for r in reports]
    entries = [e for e in entries if e is not None]
    not_started = sum(1 for e in entries
                      if e["checks"] and all(c.get("outcome") == "not_implemented" for c in e["checks"]))
    return {"id": stage.id, "title": stage.title, "docs": docs_url(stage.page), "not_started": not_started,
            **_distribution([claims.number(e.get("score")) for e in entries], stage.points)}


def _distribution(scores, maximum):
    scores = [s for s in scores if s is not None]
    bins = Counter(_bin(s, maximum) for s in scores)
    return {
        "max_score": maximum,
        "count": len(scores),
        "mean": round(statistics.fmean(scores), 2) if scores else None,
        "median": statistics.median(scores) if scores else None,
        "lowest": min(scores, default=None),
        "highest": max(scores, default=None),
        "full_marks": bins["100%"],
        "bins": {label: bins[label] for label in BINS},
    }


def _bin(score, maximum):
    if maximum <= 0 or score >= maximum:
        return "100%"
    if score <= 0:
        return "0%"
    return BINS[1 + min(3, int(4 * score / maximum))]


def _checks(reports):
    wrong, not_started, graded, hints, where = Counter(), Counter(), Counter(), defaultdict(Counter), {}
    for report in reports:
        for stage, check in _all_checks(report):
            key = check.get("nodeid") or check.get("name")
            where[key] = (stage, check)
            graded[key] += 1
            if check.get("outcome") in WRONG:
                wrong[key] += 1
                if check.get("hint_id"):
                    hints[key][check["hint_id"]] += 1
            elif check.get("outcome") == "not_implemented":
                not_started[key] += 1
    rows = []
    for key, count in wrong.most_common(TOP):
        stage, check = where[key]
        hint_id = hints[key].most_common(1)[0][0] if hints[key] else None
        rows.append({"nodeid": key, "name": check.get("name") or key, "description": check.get("description"),
                     "stage": stage["id"],
                     "wrong": count, "not_started": not_started[key], "graded": graded[key],
                     "hint_id": hint_id, "hint_title": _hint_title(hint_id),
                     "docs": _hint_docs(hint_id) or stage.get("docs")})
    return rows


def _hints(reports):
    students = Counter()
    for report in reports:
        students.update({c["hint_id"] for _, c in _all_checks(report)
                         if c.get("outcome") in WRONG and c.get("hint_id")
                         and c["hint_id"] not in NOT_A_MISCONCEPTION})
    return [{"id": hint_id, "title": _hint_title(hint_id), "stage": HINTS[hint_id].stage if hint_id in HINTS else None,
             "students": count, "docs": _hint_docs(hint_id)}
            for hint_id, count in students.most_common(TOP)]


def _all_checks(report):
    for stage in claims.grading(report).get("stages") or ():
        for check in stage.get("checks") or ():
            yield stage, check


def _find_stage(report, stage_id):
    return next((s for s in claims.grading(report).get("stages") or () if s.get("id") == stage_id), None)


def _hint_title(hint_id):
    return HINTS[hint_id].title if hint_id in HINTS else hint_id


def _hint_docs(hint_id):
    return HINTS[hint_id].docs if hint_id in HINTS else None


def markdown(summary):
    """summary.md: the same summary, for a person."""
    lines = [f"# Class summary: {summary['graded']} of {summary['submissions']} submissions regraded", "",
             f"Generated {summary['generated']} by micrograd-kit {summary['kit_version'] or ''}.", ""]
    if summary["not_graded"]:
        lines += ["Not graded (each has its row and reason in gradebook.csv):", ""]
        lines += [f"- {_md(n['student_id'])} ({_md(n['submission'])}): {_md(n['reason'])}"
                  for n in summary["not_graded"]]
        lines.append("")
    lines += ["## Scores", "",
              "| | max | mean | median | lowest | highest | " + " | ".join(BINS) + " | not started |",
              "|---|" + "---:|" * (5 + len(BINS)) + "---:|"]
    rows = [("**Total**", summary["total"], "")]
    rows += [(f"[{s['id']}: {_md(s['title'])}]({s['docs']})", s, s["not_started"]) for s in summary["stages"]]
    for label, d, not_started in rows:
        values = [d["max_score"], d["mean"], d["median"], d["lowest"], d["highest"]]
        lines.append(f"| {label} | " + " | ".join(_num(v) for v in values) + " | "
                     + " | ".join(str(d["bins"][b]) for b in BINS) + f" | {not_started} |")
    lines += ["", "Columns 0% to 100% count the students whose score on that row falls in that "
                  "share of its maximum. *Not started*: every check of the stage still raises "
                  "NotImplementedError.", "",
              "## What to reteach on Monday", "",
              "The mistakes the class made most, by the hint the grader gave "
              "(counted once per student):", ""]
    if summary["hints"]:
        lines += ["| mistake | stage | students | docs |", "|---|---|---:|---|"]
        lines += [f"| {_md(h['title'])} | {h['stage'] or ''} | {h['students']} | "
                  + (f"[{h['id']}]({h['docs']})" if h["docs"] else h["id"]) + " |" for h in summary["hints"]]
    else:
        lines.append("No wrong answers with a hint: nothing to reteach.")
    lines += ["", "The checks failed most often (a wrong answer, an exception, a timeout or a crash; "
                  "unfinished stubs are not counted):", ""]
    if summary["checks"]:
        lines += ["| check | stage | wrong | not started | most common hint |", "|---|---|---:|---:|---|"]
        for c in summary["checks"]:
            hint = f"[{_md(c['hint_title'])}]({c['docs']})" if c["hint_id"] and c["docs"] else ""
            name = "`" + c["name"].replace("|", "\\|") + "`"
            if c["description"]:
                name += ": " + _md(c["description"])
            lines.append(f"| {name} | {c['stage']} | {c['wrong']}/{c['graded']} | "
                         f"{c['not_started']} | {hint} |")
    else:
        lines.append("No check failed.")
    lines += ["", "## Flags", ""]
    if summary["flagged"]:
        lines += ["| student | submission | flags | details |", "|---|---|---|---|"]
        lines += [f"| {_md(f['student_id'])} | {_md(f['submission'])} | {', '.join(f['flags'])} | "
                  f"{_md(' / '.join(f['details']))} |" for f in summary["flagged"]]
    else:
        lines.append("No submission was flagged.")
    return "\n".join(lines) + "\n"


def _num(value):
    return "" if value is None else f"{value:g}"


def _md(text):
    """Text from a submission, safe inside a Markdown table cell."""
    text = " ".join(str(text).split())
    for c in "\\|`*_[]<>#":
        text = text.replace(c, "\\" + c)
    return text
