"""``python -m grader verify REPORT --impl FOLDER``: does a report tell the truth about these files?

A report is evidence, not proof, and nothing in it is taken on trust: this
regrades every stage of the folder, whatever the report lists, and compares
every stage's score, the total and maximum, and the SHA-256 of every file;
the report's own arithmetic must add up too. Official grading: graded code
runs isolated by the operating system, ``self-check`` only with
``--allow-self-check``. Exit status: 0 they match, 1 they differ (each
difference listed with its reason), 2 usage error or unreadable report, 3 the
regrade itself failed.
"""

import argparse
import sys
from pathlib import Path

from .. import isolation
from . import claims, options

MATCH, MISMATCH, USAGE, GRADER_FAILED = 0, 1, 2, 3


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m grader verify",
        description="Regrade every stage of FOLDER and check that REPORT's scores, total and file hashes "
                    "match it.",
        epilog="Exit status: 0 match, 1 mismatch, 2 usage error or unreadable report, 3 the regrade failed.")
    parser.add_argument("report", type=Path, metavar="REPORT", help="the grade report to check")
    parser.add_argument("--impl", required=True, metavar="FOLDER", help="the files the report claims to grade")
    options.add_isolation_options(parser)
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
        mode = isolation.official(args.isolation, allow_self_check=args.allow_self_check)
    except (isolation.Unavailable, claims.ReportError, api.UsageError) as error:
        print(f"python -m grader verify: error: {error}", file=sys.stderr)
        return USAGE
    try:
        regraded = api.grade(folder, isolation_mode=mode, **({"checks": args.checks} if args.checks else {}))
    except api.UsageError as error:
        print(f"python -m grader verify: error: {error}", file=sys.stderr)
        return USAGE
    except (KeyboardInterrupt, api.GradingInterrupted):
        print("interrupted", file=sys.stderr)
        return GRADER_FAILED
    grading = regraded["grading"]
    if grading["errors"]:
        print("The regrade itself failed, so the report cannot be checked:", file=sys.stderr)
        for error in grading["errors"]:
            print(f"  {error}", file=sys.stderr)
        return GRADER_FAILED

    differences = claims.differences(claimed, regraded)
    print(f"Regraded {folder} (every stage, isolation {grading['isolation']}): "
          f"{grading['score']:g}/{grading['max_score']}; the report claims {_claimed_total(claimed)}.")
    kit = claims.grading(claimed).get("kit_version")
    if kit != grading["kit_version"]:
        print(f"note: the report was written by kit version {str(kit)[:40]}, this is {grading['kit_version']}.")
    if differences:
        print("MISMATCH: the report does not match these files:")
        for difference in differences:
            print(f"  - {difference}")
        return MISMATCH
    print("MATCH: every stage's score, the total and every file hash agree with the regrade.")
    return MATCH


def _claimed_total(report):
    total = claims.total(report)
    return "no total" if total is None else f"{total:g}"
