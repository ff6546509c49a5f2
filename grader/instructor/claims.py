"""What a grade report claims, and whether the files and a regrade bear it out.

A submitted report is evidence, not proof, and it comes from the student's
machine: every field is read defensively, and anything malformed reads as
"no claim" rather than an exception.
"""

import contextlib
import hashlib
import json
import math
import os
import stat
from pathlib import Path

from ..stages import BY_ID, MAX_SCORE, STAGES
from .layout import MAX_REPORT_BYTES, PACKAGE_FILES


class ReportError(ValueError):
    """A report file that cannot be used; the message says why."""


def load_report(path):
    """The report document at ``path``, or ReportError saying what is wrong with it."""
    try:
        data = read_regular(path, MAX_REPORT_BYTES)
        if data is None and not Path(path).exists():
            raise FileNotFoundError(path)
        if data is None:
            raise ReportError(f"the report {path} is not a regular file")
        if len(data) > MAX_REPORT_BYTES:
            raise ReportError(f"the report {path} is larger than {MAX_REPORT_BYTES >> 20} MB: not a grade report")
        text = data.decode("utf-8")
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
    """SHA-256 of each package file in ``folder`` (None for a missing one, or one that is not a regular file)."""
    return {name: _sha256(Path(folder) / name) for name in PACKAGE_FILES}


def read_regular(path, limit):
    """Up to ``limit + 1`` bytes of the regular file at ``path``; None if it is missing or not a regular file.

    A submission's files are opened without blocking and checked after opening,
    so a FIFO (or a file swapped for one) can never stall the grading process.
    """
    with _opened_regular(path) as file:
        return None if file is None else file.read(limit + 1)


def _sha256(path):
    digest = hashlib.sha256()
    with _opened_regular(path) as file:
        if file is None:
            return None
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _opened_regular(path):
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        yield None
        return
    with open(descriptor, "rb", closefd=True) as file:
        yield file if stat.S_ISREG(os.fstat(descriptor).st_mode) else None


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


def differences(claimed, regraded):
    """Everything in which the report ``claimed`` is not borne out by ``regraded``, a full regrade of the
    same folder, or by itself; each in words. Empty only if the report shows what it claims.

    Unlike ``score_differences``, nothing is taken on trust: every stage that carries points is
    compared (a stage the report left out is a difference, as is one it only pretends to have graded),
    so are the total and the maximum, the hash of every file, and the report's own arithmetic.
    """
    found = _file_differences(claimed, regraded)
    ours = grading(claimed)
    selected = ours.get("selected_stages")
    left_out = [s.id for s in STAGES if s.points and not (isinstance(selected, list) and s.id in selected)]
    if left_out:
        found.append(f"the report did not grade every stage (stage{'s' * (len(left_out) > 1)} "
                     f"{', '.join(left_out)} not selected)")
    claimed_stages = _claimed_stages(claimed, found)
    regraded_stages = {s["id"]: s for s in grading(regraded).get("stages") or ()}
    for stage in STAGES:
        if stage.points == 0:
            continue  # the bonus counts for nothing, and depends on torch being installed
        mine, theirs = claimed_stages.get(stage.id), regraded_stages.get(stage.id)
        regraded_score = number(theirs.get("score")) if theirs else None
        if mine is None:
            found.append(f"stage {stage.id}: the report shows no score (regraded {_show(regraded_score)})")
            continue
        score = number(mine.get("score"))
        if not _same(score, regraded_score):
            found.append(f"stage {stage.id}: claimed {_show(score)}, regraded {_show(regraded_score)}")
        if not _same(number(mine.get("max_score")), stage.points):
            found.append(f"stage {stage.id}: claims a maximum of {_show(number(mine.get('max_score')))}, "
                         f"not {stage.points}")
    total_claimed, total_regraded = total(claimed), total(regraded)
    if not _same(total_claimed, total_regraded):
        found.append(f"total: claimed {_show(total_claimed)}, regraded {_show(total_regraded)}")
    if not _same(number(ours.get("max_score")), MAX_SCORE):
        found.append(f"the report's maximum is {_show(number(ours.get('max_score')))}, not {MAX_SCORE}")
    found += _arithmetic(claimed_stages, total_claimed)
    return found


def _file_differences(claimed, regraded):
    claimed_files, graded_files = claimed_hashes(claimed), claimed_hashes(regraded)
    if not claimed_files:
        return ["the report lists no file hashes"]
    found = []
    for name in PACKAGE_FILES:
        if name not in claimed_files:
            found.append(f"{name}: the report gives no hash for it")
        elif claimed_files[name] != graded_files.get(name):
            what = "missing here" if graded_files.get(name) is None else "not the file the report graded"
            found.append(f"{name}: {what} (SHA-256 differs)")
    extra = sorted(str(name)[:80] for name in claimed_files if name not in PACKAGE_FILES)
    if extra:
        found.append(f"the report hashes files the kit does not grade: {', '.join(extra[:5])}")
    return found


def _claimed_stages(report, found):
    """``{stage id: stage object}`` as the report gives them; malformed or repeated ones noted in ``found``."""
    stages = grading(report).get("stages")
    if not isinstance(stages, list):
        found.append("the report has no list of stages")
        return {}
    claimed, unknown, repeated = {}, [], []
    for stage in stages:
        stage_id = stage.get("id") if isinstance(stage, dict) else None
        if not isinstance(stage_id, str) or stage_id not in BY_ID:
            unknown.append(repr(stage_id)[:40])
        elif stage_id in claimed:
            repeated.append(stage_id)
        else:
            claimed[stage_id] = stage
    if unknown:  # one line, however many: the report's size is the submitter's choice
        found.append(f"the report has {len(unknown)} stage{'s' * (len(unknown) > 1)} the kit does not have "
                     f"({', '.join(unknown[:3])}{', ...' if len(unknown) > 3 else ''})")
    if repeated:
        found.append(f"the report lists stage{'s' * (len(set(repeated)) > 1)} "
                     f"{', '.join(sorted(set(repeated)))} more than once")
    return claimed


def _arithmetic(stages, claimed_total):
    """Where the report's own numbers do not add up."""
    found = []
    scores = [number(stage.get("score")) for stage in stages.values()]
    if None in scores or not _same(claimed_total, sum(s for s in scores if s is not None)):
        found.append(f"the report's total {_show(claimed_total)} is not the sum of its stages' scores")
    for stage_id, stage in stages.items():
        checks = stage.get("checks")
        if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
            found.append(f"stage {stage_id}: the report lists no checks")
            continue
        points = [number(c.get("points")) for c in checks]
        maxima = [number(c.get("max_points")) for c in checks]
        if None in points or not _same(number(stage.get("score")), sum(p for p in points if p is not None)):
            found.append(f"stage {stage_id}: its score is not the sum of its checks' points")
        if None in maxima or not _same(sum(m for m in maxima if m is not None), BY_ID[stage_id].points):
            found.append(f"stage {stage_id}: its checks do not carry the stage's {BY_ID[stage_id].points} points")
        over = [str(c.get("name"))[:60] for c, p, m in zip(checks, points, maxima)
                if p is not None and m is not None and not -1e-6 <= p <= m + 1e-6]
        if over:
            found.append(f"stage {stage_id}: check{'s' * (len(over) > 1)} {', '.join(over[:5])} "
                         "claim points outside 0..their maximum")
    return found


def number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _same(a, b):
    return a is not None and b is not None and math.isclose(a, b, abs_tol=1e-6)


def _show(value):
    return "none" if value is None else f"{value:g}"
