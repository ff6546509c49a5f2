"""Pack what a student hands in: their package files and the report that graded them, for their id.

``nox -s submit -- --student-id ID`` (``python -m grader submit``) is the one
step that makes a submission. When the latest report already graded exactly
the files in ``student/`` now, every stage, for that id, it is packed as it
is; otherwise the files are graded again first, under the id. Either way the
zip, ``dist/submission-<student-id>.zip``, holds ``student/<files>`` and
``reports/grade-report.json`` (the layout ``collect`` and the Gradescope
autograder read), and that report always names the student.
"""

import argparse
import os
import re
import sys
import zipfile
from pathlib import Path

from . import KIT_ROOT
from .cli import DEFAULT_REPORT, STUDENT_ID_ENV, _shown
from .instructor import claims
from .instructor.atomic import write_atomic
from .instructor.layout import PACKAGE_FILES
from .stages import STAGES

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,79}")
HOW = "nox -s submit -- --student-id YOUR_ID"


class Refused(Exception):
    """Nothing was packed; the message tells the student what to do."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m grader submit",
        description="Pack your student/ files and their grade report, for your student id, into "
                    "dist/submission-<student-id>.zip, the file you hand in. The files are graded "
                    "again first unless the latest report is already exactly theirs, for that id.")
    parser.add_argument("--impl", type=Path, default=KIT_ROOT / "student",
                        help="the folder you hand in (default: student/)")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help="the grade report to reuse or rewrite (default: reports/grade-report.json)")
    parser.add_argument("--student-id", help="your student id (default: $MICROGRAD_KIT_STUDENT_ID, "
                                             "else the one in the latest report)")
    parser.add_argument("--out", type=Path, default=KIT_ROOT / "dist",
                        help="where to write the zip (default: dist/)")
    args = parser.parse_args(argv)
    try:
        path, report = pack(args.impl, args.report, args.out, args.student_id)
    except Refused as refusal:
        print(f"submit: {refusal}", file=sys.stderr)
        return refusal.status
    score = claims.total(report)
    print(f"Packed {_shown(path)}: {len(_present(args.impl))} files from {_shown(args.impl)}/ "
          f"and their report for {claims.student_id(report)} (score {'?' if score is None else f'{score:g}'}).\n"
          f"Hand in this one file.")
    return 0


def pack(impl, report_path, out, student_id=None):
    """Grade ``impl`` for the id unless the report already is that grade; write the zip; return (path, report)."""
    impl = Path(impl)
    if not impl.is_dir():
        raise Refused(f"there is no folder {impl}", status=2)
    report = _latest(report_path)
    identity = _student_id(report, student_id)
    why = _stale(report, impl, identity)
    if why:
        report = _regrade(impl, report_path, identity, why)
    path = Path(out) / f"submission-{identity}.zip"
    report_bytes = Path(report_path).read_bytes()

    def fill(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in _present(impl):
                archive.write(impl / name, f"student/{name}")
            archive.writestr("reports/grade-report.json", report_bytes)

    write_atomic(path, fill)
    return path, report


def _latest(report_path):
    """The latest report, or None when there is none (or it cannot be read: it will be rewritten)."""
    try:
        return claims.load_report(report_path)
    except claims.ReportError:
        return None


def _stale(report, impl, identity):
    """Why the report cannot be handed in as it is (None: it can)."""
    if report is None:
        return "there is no grade report yet"
    if claims.student_id(report) != identity:
        return f"the latest report is not for {identity}"
    missing = [s.id for s in STAGES if s.points and s.id not in _selected(report)]
    if missing:
        return f"the latest report does not cover stage{'s' * (len(missing) > 1)} {', '.join(missing)}"
    changed = claims.changed_files(report, impl)
    if changed:
        return f"your files changed since the latest report ({', '.join(changed)})"
    return None


def _regrade(impl, report_path, identity, why):
    """Grade every stage of ``impl`` for ``identity`` into ``report_path``, as ``nox -s grade`` shows it."""
    from .cli import OK, grade_command

    print(f"submit: {why}, so your files are graded first, for {identity}.\n", flush=True)
    status = grade_command(["--impl", str(impl), "--report", str(report_path), "--student-id", identity])
    report = _latest(report_path)
    if status != OK or report is None or claims.changed_files(report, impl):
        raise Refused("grading your files did not finish normally (see above), so nothing was packed", status=3)
    print(flush=True)
    return report


def _student_id(report, given):
    """The id to submit under: given, from the environment, or the latest report's."""
    chosen = (given or os.environ.get(STUDENT_ID_ENV) or (claims.student_id(report) if report else None) or "").strip()
    if not chosen:
        raise Refused(f"no student id: run `{HOW}`", status=2)
    if not ID_PATTERN.fullmatch(chosen):
        raise Refused(f"{chosen!r} is not a usable student id: use letters, digits and . _ @ + - "
                      f"(at most 80 characters)", status=2)
    return chosen


def _selected(report):
    selected = claims.grading(report).get("selected_stages")
    return selected if isinstance(selected, list) else []


def _present(impl):
    return [name for name in PACKAGE_FILES if (Path(impl) / name).is_file()]


if __name__ == "__main__":
    sys.exit(main())
