"""``python -m grader verify REPORT --impl FOLDER``: does a report tell the truth about these files?

A report is evidence, not proof: this regrades the folder (the stages the
report graded) and compares the per-stage scores, the total and the SHA-256
of every file. Exit status: 0 they match, 1 they differ (each difference
listed), 2 usage error or unreadable report, 3 the regrade itself failed.
"""

import argparse
import sys
from pathlib import Path

from . import claims

MATCH, MISMATCH, USAGE, GRADER_FAILED = 0, 1, 2, 3


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m grader verify",
        description="Regrade FOLDER and check that REPORT's scores and file hashes match it.",
        epilog="Exit status: 0 match, 1 mismatch, 2 usage error or unreadable report, 3 the regrade failed.")
    parser.add_argument("report", type=Path, metavar="REPORT", help="the grade report to check")
    parser.add_argument("--impl", required=True, metavar="FOLDER", help="the files the report claims to grade")
    parser.add_argument("--checks", type=Path, default=None, metavar="DIR",
                        help="the checks to run (default: the kit's grader/checks; for the kit's maintainers)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else USAGE

    from .. import api

    try:
        claimed = claims.load_report(args.report)
        folder = api.resolve_impl(args.impl)
    except (claims.ReportError, api.UsageError) as error:
        print(f"python -m grader verify: error: {error}", file=sys.stderr)
        return USAGE
    stages = claimed["grading"].get("selected_stages")
    if not isinstance(stages, list) or not stages or not all(s in api.STAGE_IDS for s in stages):
        stages = None  # a report that does not say what it graded is compared with a full grade
    try:
        regraded = api.grade(folder, stages=stages, **({"checks": args.checks} if args.checks else {}))
    except (KeyboardInterrupt, api.GradingInterrupted):
        print("interrupted", file=sys.stderr)
        return GRADER_FAILED
    grading = regraded["grading"]
    if grading["errors"]:
        print("The regrade itself failed, so the report cannot be checked:", file=sys.stderr)
        for error in grading["errors"]:
            print(f"  {error}", file=sys.stderr)
        return GRADER_FAILED

    changed = claims.changed_files(claimed, folder)
    differences = [f"{name}: not the file the report graded (SHA-256 differs)" for name in changed]
    differences += claims.score_differences(claimed, regraded)
    selected = grading["selected_stages"]
    print(f"Regraded {folder} (stage{'s' * (len(selected) > 1)} {', '.join(selected)}): "
          f"{grading['score']:g}/{grading['max_score']}; the report claims {_claimed_total(claimed)}.")
    kit = claimed["grading"].get("kit_version")
    if kit != grading["kit_version"]:
        print(f"note: the report was written by kit version {kit}, this is {grading['kit_version']}.")
    if differences:
        print("MISMATCH: the report does not match these files:")
        for difference in differences:
            print(f"  - {difference}")
        return MISMATCH
    print("MATCH: the report's scores and file hashes agree with the regrade.")
    return MATCH


def _claimed_total(report):
    total = claims.total(report)
    return "no total" if total is None else f"{total:g}"
