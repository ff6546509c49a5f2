"""Pack what a student hands in: their package files and the report that graded them.

``nox -s submit`` (``python -m grader submit``) checks that the latest report
graded exactly the files in ``student/`` now, then writes
``dist/submission-<student-id>.zip``: ``student/<files>`` and
``reports/grade-report.json``, the layout ``collect`` and the Gradescope
autograder read.
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
REGRADE = "run `nox -s grade` again (it rewrites the report), then `nox -s submit`"


class Refused(Exception):
    """Nothing was packed; the message tells the student what to do."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m grader submit",
        description="Pack your student/ files and your latest grade report into "
                    "dist/submission-<student-id>.zip, the file you hand in.")
    parser.add_argument("--impl", type=Path, default=KIT_ROOT / "student",
                        help="the folder you graded (default: student/)")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help="the report `nox -s grade` wrote (default: reports/grade-report.json)")
    parser.add_argument("--student-id", help="your student id (default: the one in the report, "
                                             "or $MICROGRAD_KIT_STUDENT_ID)")
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
          f"and the report (score {'?' if score is None else f'{score:g}'}).\n"
          f"Hand in this one file.")
    return 0


def pack(impl, report_path, out, student_id=None):
    """Check the report against the files in ``impl``, write the zip; return (path, report)."""
    impl = Path(impl)
    if not impl.is_dir():
        raise Refused(f"there is no folder {impl}", status=2)
    try:
        report = claims.load_report(report_path)
    except claims.ReportError as error:
        raise Refused(f"{error}.\nRun `nox -s grade` first: it writes the report you hand in.") from None
    missing = [s.id for s in STAGES if s.points and s.id not in _selected(report)]
    if missing:
        raise Refused(f"the report does not cover stage(s) {', '.join(missing)} (it was made with "
                      f"--stage); hand in a report of every stage: {REGRADE}")
    changed = claims.changed_files(report, impl)
    if changed:
        raise Refused(f"your files changed since the report was written ({', '.join(changed)}), "
                      f"so it is not their grade: {REGRADE}")
    identity = _student_id(report, student_id)
    path = Path(out) / f"submission-{identity}.zip"
    report_bytes = Path(report_path).read_bytes()

    def fill(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in _present(impl):
                archive.write(impl / name, f"student/{name}")
            archive.writestr("reports/grade-report.json", report_bytes)

    write_atomic(path, fill)
    return path, report


def _student_id(report, given):
    """The id to name the zip by: given, from the environment, or the report's; they must agree."""
    in_report = claims.student_id(report)
    chosen = given or os.environ.get(STUDENT_ID_ENV) or in_report
    if not chosen:
        raise Refused("no student id: grade with `nox -s grade -- --student-id YOUR_ID` (or set "
                      "MICROGRAD_KIT_STUDENT_ID), then `nox -s submit`", status=2)
    chosen = chosen.strip()
    if not ID_PATTERN.fullmatch(chosen):
        raise Refused(f"{chosen!r} is not a usable student id: use letters, digits and . _ @ + - "
                      f"(at most 80 characters)", status=2)
    if in_report and in_report != chosen:
        raise Refused(f"the report was made for student id {in_report!r}, not {chosen!r}: "
                      f"grade with `nox -s grade -- --student-id {chosen}`, then `nox -s submit`")
    return chosen


def _selected(report):
    selected = claims.grading(report).get("selected_stages")
    return selected if isinstance(selected, list) else []


def _present(impl):
    return [name for name in PACKAGE_FILES if (Path(impl) / name).is_file()]


if __name__ == "__main__":
    sys.exit(main())
