"""How the kit's own tests grade a folder, in one place: switching the runner is one edit here."""

from grader.api import grade


def grade_folder(folder, stages=None):
    """The report document (pytest-json-report's, plus ``grading``) for ``folder``."""
    return grade(folder, stages=stages)


def stage_results(report):
    """``{stage id: (score, max score, [failed checks])}`` from a report."""
    return {s["id"]: (s["score"], s["max_score"], [c for c in s["checks"] if c["outcome"] != "passed"])
            for s in report["grading"]["stages"]}
