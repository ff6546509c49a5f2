"""What a grade report claims, and whether the files and a regrade bear it out.

A submitted report is evidence, not proof, and it comes from the student's
machine: every field is read defensively, and anything malformed reads as
"no claim" rather than an exception.
"""

import hashlib
import json
import math
from pathlib import Path

from ..stages import BY_ID
from .layout import PACKAGE_FILES


class ReportError(ValueError):
    """A report file that cannot be used; the message says why."""


def load_report(path):
    """The report document at ``path``, or ReportError saying what is wrong with it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"there is no report at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"the report {path} could not be read ({error})") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ReportError(f"the report {path} is not valid JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("grading"), dict):
        raise ReportError(f"{path} is not a grade report (it has no 'grading' object)")
    return document


def grading(report):
    return report.get("grading") if isinstance(report, dict) and isinstance(report.get("grading"), dict) else {}


def student_id(report):
    """The report's student id, printable and of sane length, or None."""
    value = grading(report).get("student_id")
    if not isinstance(value, str):
        return None
    value = "".join(c if c.isprintable() else "?" for c in value.strip())[:100]
    return value or None


def total(report):
    return number(grading(report).get("score"))


def stage_scores(report):
    """``{stage id: score}`` for the stages the report graded."""
    stages = grading(report).get("stages")
    scores = {}
    for stage in stages if isinstance(stages, list) else ():
        if isinstance(stage, dict) and isinstance(stage.get("id"), str):
            scores[stage["id"]] = number(stage.get("score"))
    return scores


def claimed_hashes(report):
    impl = grading(report).get("impl")
    files = impl.get("files") if isinstance(impl, dict) else None
    return files if isinstance(files, dict) else {}


def file_hashes(folder):
    """SHA-256 of each package file in ``folder`` (None for a missing one)."""
    hashes = {}
    for name in PACKAGE_FILES:
        path = Path(folder) / name
        hashes[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return hashes


def changed_files(report, folder):
    """The package files whose content is not the one the report graded."""
    claimed, actual = claimed_hashes(report), file_hashes(folder)
    return [name for name in PACKAGE_FILES if claimed.get(name) != actual[name]]


def score_differences(claimed, regraded):
    """Where the claimed report disagrees with the regrade (or with itself), in words; empty if nowhere.

    Only the stages the regrade covered are compared, so an instructor may
    regrade a subset of the stages.
    """
    differences = []
    claimed_stages, regraded_stages = stage_scores(claimed), stage_scores(regraded)
    for stage, score in regraded_stages.items():
        if stage in BY_ID and BY_ID[stage].points == 0:
            continue  # the bonus counts for nothing, and depends on torch being installed
        if not _same(claimed_stages.get(stage), score):
            differences.append(f"stage {stage}: claimed {_show(claimed_stages.get(stage))}, "
                               f"regraded {_show(score)}")
    claimed_total = total(claimed)
    if not _same(claimed_total, sum(s for s in claimed_stages.values() if s is not None)):
        differences.append(f"the report's total {_show(claimed_total)} is not the sum of its stages")
    elif differences and set(claimed_stages) <= set(regraded_stages):
        differences.insert(0, f"total: claimed {_show(claimed_total)}, regraded {_show(total(regraded))}")
    return differences


def number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _same(a, b):
    return a is not None and b is not None and math.isclose(a, b, abs_tol=1e-6)


def _show(value):
    return "none" if value is None else f"{value:g}"
