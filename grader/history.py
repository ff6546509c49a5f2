"""The student's grade history: one JSON line per grade in ``reports/grade-history.jsonl``.

Append-only, so a run never rewrites what earlier runs recorded, and one
line per grade, so a line broken by a killed run or a hand edit costs only
that line (reading skips it). Only the student's own runs keep history: the
command line appends when it writes the default report, never for a report
sent elsewhere (an instructor's regrade, a test).
"""

import json
import os
from pathlib import Path

FILENAME = "grade-history.jsonl"
SHOWN = 30  # runs the report draws: enough to see progress, never a wall of points


def path_beside(report_path):
    return Path(report_path).with_name(FILENAME)


def entry(document):
    """What one grade adds to the history: when, what was graded, each graded stage's score."""
    grading = document["grading"]
    return {
        "time": grading["timing"]["started"],
        "impl": grading["impl"]["path"],
        "student_id": grading["student_id"],
        "stages": {s["id"]: {"score": s["score"], "max_score": s["max_score"]} for s in grading["stages"]},
        "score": grading["score"],
        "max_score": grading["max_score"],
    }


def append(path, document):
    """Add this grade's line; one ``write`` to a file opened for appending, so lines never interleave."""
    line = json.dumps(entry(document), allow_nan=False, separators=(",", ":")) + "\n"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def read(path, impl=None):
    """The recorded grades, oldest first (of ``impl``'s folder only, if given); bad lines are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if _well_formed(item) and (impl is None or item["impl"] == str(impl)):
            entries.append(item)
    return entries


def _well_formed(item):
    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool)

    return (isinstance(item, dict) and isinstance(item.get("time"), str) and isinstance(item.get("impl"), str)
            and isinstance(item.get("stages"), dict)
            and all(isinstance(s, dict) and number(s.get("score")) and number(s.get("max_score"))
                    for s in item["stages"].values()))
