"""Regrade a whole class on one machine: a gradebook, and what to reteach on Monday.

``python -m grader collect SUBMISSIONS`` (``nox -s collect -- SUBMISSIONS``):
SUBMISSIONS holds one folder or ``.zip`` per student. Each is unpacked into a
temporary folder (only the package files and the report, see
``instructor/layout.py``) and regraded by the grader in its own process,
several at once, each bounded in time: a fork of a process that has already
imported the grader (``instructor/forked.py``), which saves starting Python,
pytest and hypothesis for every submission. A submission that cannot be
graded gets its row with the reason, and the run goes on.

With a secret (``--held-out-file FILE`` or ``$MICROGRAD_KIT_HELD_OUT``), the
property checks draw cases the students never saw (``grader/held_out.py``).

Writes to ``--out`` (default ``collected/``): ``gradebook.csv``,
``summary.json`` and ``summary.md``, the LMS imports ``canvas.csv`` and
``moodle.csv`` (``instructor/lms.py``; names and ids from ``--roster``), and
per submission the regraded report (``reports/``) and the grader's output
(``logs/``).
"""

import argparse
import csv
import hashlib
import io
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .. import KIT_ROOT, held_out, isolation
from ..api import DEFAULT_BUDGET_S
from ..stages import STAGES
from . import claims, forked, lms, options, summary
from .atomic import write_atomic
from .layout import SubmissionError, unpack
from .processes import run_bounded, stop_all
from .progress import Progress

GRADED_STAGES = [s for s in STAGES if s.points]  # the bonus counts for nothing: no column


@dataclass
class Outcome:
    """One submission's row: who, the regraded report, and what the instructor should know."""

    submission: str
    student_id: str
    regraded: dict | None = None
    claimed: dict | None = None
    flags: list = field(default_factory=list)
    details: list = field(default_factory=list)

    @property
    def error(self):
        return "error" in self.flags


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m grader collect",
        description="Regrade every submission in a folder (one folder or .zip per student) and "
                    "write a gradebook and a class summary.")
    parser.add_argument("submissions", type=Path, help="the folder holding one folder or .zip per student")
    parser.add_argument("--out", type=Path, default=Path("collected"),
                        help="where to write gradebook.csv, canvas.csv, moodle.csv, summary.json, summary.md "
                             "(default: collected/)")
    parser.add_argument("--jobs", type=int, default=_cores(),
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds one submission may take before it is stopped (default: 300)")
    parser.add_argument("--stage", action="append", choices=[s.id for s in STAGES],
                        help="grade only this stage (repeatable; default: all)")
    parser.add_argument("--held-out-file", type=Path, metavar="FILE",
                        help="official grading: the property checks draw their cases from the secret in FILE "
                             f"(its first line; default: ${held_out.ENV}), cases the students never saw")
    options.add_isolation_options(parser)
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="the class list, for the LMS imports' names and ids: a CSV with a header, such as "
                             "your Canvas gradebook export or Moodle grade export")
    parser.add_argument("--assignment", default=lms.DEFAULT_ASSIGNMENT, metavar="NAME",
                        help="the grade column's name in canvas.csv and moodle.csv; Canvas matches an existing "
                             "assignment by its exported header, e.g. 'micrograd (12345)' "
                             f"(default: {lms.DEFAULT_ASSIGNMENT})")
    args = parser.parse_args(argv)
    try:
        return _collect_command(parser, args)
    except KeyboardInterrupt:  # at any point: while grading, or before it started
        print("\ninterrupted: no gradebook written", file=sys.stderr)
        return 130


def _collect_command(parser, args):
    if args.jobs < 1 or args.timeout <= 0:
        parser.error("--jobs and --timeout must be positive")
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder (give the folder that holds the submissions)")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a folder")
    secret = options.held_out_secret(parser, args.held_out_file)
    try:
        roster = lms.read_roster(args.roster) if args.roster else None
    except lms.RosterError as error:
        parser.error(f"--roster: {error}")
    try:
        mode = isolation.official(args.isolation, allow_self_check=args.allow_self_check)
    except isolation.Unavailable as error:
        print(f"python -m grader collect: not grading: {error}", file=sys.stderr)
        return 2
    sources = [s for s in submissions_in(args.submissions) if s.resolve() != args.out.resolve()]
    if not sources:
        parser.error(f"{args.submissions} is empty: put one folder or .zip per student in it")
    started = time.monotonic()
    outcomes = collect(sources, args.out, jobs=args.jobs, timeout=args.timeout, stages=args.stage,
                       held_out=secret, isolation_mode=mode)
    class_summary = summary.summarize(outcomes, stages=args.stage)
    problems = write_outputs(outcomes, class_summary, args.out, roster=roster, assignment=args.assignment)
    graded = sum(not o.error for o in outcomes)
    held = " on held-out cases" if secret else ""
    seconds = time.monotonic() - started
    print(f"Regraded {graded} of {len(outcomes)} submissions{held}, isolation {mode}, in {seconds:.0f} s.\n"
          f"  {args.out / 'gradebook.csv'}\n  {args.out / 'summary.md'}\n  {args.out / 'summary.json'}\n"
          f"  {args.out / 'canvas.csv'} and {args.out / 'moodle.csv'} (LMS gradebook imports)")
    if problems:
        print("Left out of the LMS imports (see gradebook.csv):\n" + "".join(f"  {p}\n" for p in problems), end="")
    return 0


def _cores():
    """The cores this process may use (a container or taskset may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def submissions_in(folder):
    """Every entry of ``folder`` but hidden ones, by name: each is one student's submission."""
    return sorted((p for p in Path(folder).iterdir() if not p.name.startswith(".")), key=lambda p: p.name)


def collect(sources, out, *, jobs, timeout, stages=None, progress=None, held_out=None, isolation_mode=None):
    """Regrade each source in parallel; return their outcomes in the order given.

    ``isolation_mode``: the mode every grade must run under (see
    ``isolation.official``, which ``main`` asks first); None lets each grade choose.
    """
    out = Path(out)
    for sub in ("reports", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    progress = progress or Progress(len(sources))
    outcomes = {}
    graders = Graders(held_out, isolation_mode=isolation_mode)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(_regrade_or_say_why, source, out, timeout, stages, graders): source
                   for source in sources}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            progress.advance(_progress_label(outcome))
    except KeyboardInterrupt:
        graders.stopping = True  # no new zygote for a grade whose zygote is killed next
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    finally:
        pool.shutdown()
        graders.close()
    ordered = [outcomes[s] for s in sources]
    _flag_duplicate_ids(ordered)
    return ordered


def _regrade_or_say_why(source, out, timeout, stages, graders):
    """``regrade``, with the kit's own failures on one submission kept to its row."""
    try:
        return regrade(source, out, timeout, stages, graders)
    except Exception as error:
        outcome = Outcome(submission=source.name, student_id=_id_from_name(source))
        return _failed(outcome, f"the kit failed on this submission ({type(error).__name__}: {error})")


def regrade(source, out, timeout, stages=None, graders=None):
    """Unpack one submission, regrade it in its own process, compare with what it claims."""
    outcome = Outcome(submission=source.name, student_id=_id_from_name(source))
    with tempfile.TemporaryDirectory(prefix="micrograd-collect-", ignore_cleanup_errors=True) as scratch:
        try:
            unpacked = unpack(source, scratch)
        except SubmissionError as error:
            return _failed(outcome, str(error))
        except OSError as error:
            return _failed(outcome, f"could not be read ({error})")
        outcome.details += unpacked.notes
        if unpacked.report is None:
            outcome.flags.append("no_report")
        else:
            try:
                outcome.claimed = claims.load_report(unpacked.report)
                outcome.student_id = claims.student_id(outcome.claimed) or outcome.student_id
            except claims.ReportError as error:
                outcome.flags.append("report_unreadable")
                outcome.details.append(str(error).replace(str(unpacked.report), "the submitted report"))
        name = _file_name(source.name)
        report_path, log_path = out / "reports" / f"{name}.json", out / "logs" / f"{name}.txt"
        report_path.unlink(missing_ok=True)  # never read a previous run's report
        graders = graders or Graders(forks=False)  # one submission alone: a zygote would only add a process
        problem = _run_grader(unpacked.package, report_path, log_path, outcome.student_id, timeout, stages,
                              graders)
        if problem:
            return _failed(outcome, problem)
        try:
            outcome.regraded = claims.load_report(report_path)
        except claims.ReportError as error:
            return _failed(outcome, f"the grader wrote no usable report ({error}); see {log_path}")
        if outcome.claimed is not None:
            _compare(outcome, unpacked.package)
    flags = claims.grading(outcome.regraded).get("honesty", {}).get("flags") or []
    if flags:
        outcome.flags.append("honesty")
        outcome.details += [f"honesty: {f.get('reason', f)}" if isinstance(f, dict) else f"honesty: {f}"
                            for f in flags]
    return outcome


class Graders:
    """Where each regrade runs: an idle zygote's fork, or ``python -m grader`` where there is no fork.

    One zygote per thread that needs one, started on first use, kept for the
    next submission; one that died is replaced.
    """

    def __init__(self, secret=None, *, isolation_mode=None, forks=True):
        self.secret, self.forks = secret, forks and forked.available()
        self.isolation = isolation_mode
        self._idle, self._all = queue.SimpleQueue(), []
        self.stopping = False

    def run(self, argv, log_path, timeout):
        """The grade's exit status, or None when it overran ``timeout`` and was stopped."""
        if self.isolation:
            argv = [*argv, "--isolation", self.isolation]
        if not self.forks:
            return self._run_process(argv, log_path, timeout)
        for attempt in (1, 2):
            zygote = self._take()
            try:
                status = zygote.grade(argv, log_path, timeout, self.secret)
            except forked.ZygoteDied:
                zygote.close()
                if attempt == 2 or self.stopping:
                    raise
                continue
            self._idle.put(zygote)
            return status

    def close(self):
        for zygote in self._all:
            zygote.close()

    def _take(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            if self.stopping:
                raise forked.ZygoteDied("collect is stopping") from None
            zygote = forked.Zygote()
            self._all.append(zygote)
            return zygote

    def _run_process(self, argv, log_path, timeout):
        env = dict(os.environ, NO_COLOR="1")  # the secret by environment: a process listing shows argv
        env.pop(held_out.ENV, None)
        if self.secret:
            env[held_out.ENV] = self.secret
        with open(log_path, "wb") as log:
            return run_bounded([sys.executable, "-m", "grader", *argv], timeout, cwd=KIT_ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def _run_grader(package, report_path, log_path, student_id, timeout, stages, graders):
    """Grade ``package`` in a process of its own; return why it failed, or None."""
    budget = min(DEFAULT_BUDGET_S, 0.8 * timeout)  # the student's own run had the default budget
    argv = ["--impl", str(package), "--report", str(report_path), f"--student-id={student_id}",
            f"--time-budget={budget:g}"]
    for stage in stages or ():
        argv += ["--stage", stage]
    status = graders.run(argv, log_path, timeout)
    if status is None:
        return f"regrading took longer than {timeout:g} s and was stopped"
    if status == 3:  # the kit's failure, not the student's: its report says what failed
        try:
            errors = claims.grading(claims.load_report(report_path)).get("errors") or []
        except claims.ReportError:
            errors = []
        return f"the grader itself failed ({'; '.join(map(str, errors)) or 'no report'}); see {log_path}"
    if status != 0:
        return f"the grader stopped with exit status {status}; see {log_path}"
    return None


def _compare(outcome, package):
    differences = claims.score_differences(outcome.claimed, outcome.regraded)
    if differences:
        outcome.flags.append("score_mismatch")
        held = claims.grading(outcome.regraded).get("held_out") and not claims.grading(outcome.claimed).get("held_out")
        # the held-out cases may find what the student's own cases did not: say so, let verify tell them apart
        label = "claimed vs held-out regrade (other cases than the student's)" if held else "claimed vs regraded"
        outcome.details.append(f"{label}: " + "; ".join(differences))
    changed = claims.changed_files(outcome.claimed, package)
    if changed:
        outcome.flags.append("files_changed")
        outcome.details.append("not the files the report graded: " + ", ".join(changed))


def _failed(outcome, reason):
    outcome.flags.append("error")
    outcome.details.append(reason)
    return outcome


def _flag_duplicate_ids(outcomes):
    seen = {}
    for outcome in outcomes:
        seen.setdefault(outcome.student_id, []).append(outcome)
    for same in seen.values():
        if len(same) > 1:
            for outcome in same:
                outcome.flags.append("duplicate_id")
                others = ", ".join(o.submission for o in same if o is not outcome)
                outcome.details.append(f"same student id as {others}")


def _id_from_name(source):
    stem = source.name[:-4] if source.name.lower().endswith(".zip") else source.name
    return stem.removeprefix("submission-") or stem


def _file_name(text):
    """A file name for ``text``, another one for every other text."""
    safe = re.sub(r"[^A-Za-z0-9._@+-]", "_", text).lstrip(".")
    if safe == text:
        return safe
    return f"{safe}-{hashlib.sha256(text.encode(errors='surrogateescape')).hexdigest()[:8]}"


def _progress_label(outcome):
    if outcome.error:
        return f"{outcome.student_id}: not graded"
    score = claims.total(outcome.regraded)
    flags = [f for f in outcome.flags if f != "no_report"]
    return f"{outcome.student_id}: {score:g}" + (f"  ({', '.join(flags)})" if flags else "")


def gradebook_rows(outcomes):
    """The gradebook as rows of text, header first."""
    header = (["student_id", "submission"] + [f"stage_{s.id}" for s in GRADED_STAGES]
              + ["total", "claimed_total", "isolation", "flags", "details"])
    rows = [header]
    for o in outcomes:
        scores = claims.stage_scores(o.regraded) if o.regraded else {}
        total = claims.total(o.regraded) if o.regraded else None
        claimed = claims.total(o.claimed) if o.claimed else None
        rows.append([_cell(o.student_id), _cell(o.submission)]
                    + [_number(scores.get(s.id)) for s in GRADED_STAGES]
                    + [_number(total), _number(claimed), _isolation(o.regraded), " ".join(o.flags),
                       _cell(" | ".join(o.details))])
    return rows


def lms_grades(outcomes):
    """``([(student id, total)], problems)``: the grades fit for an LMS, and why others are not."""
    grades, problems = [], []
    for o in outcomes:
        if o.error:
            problems.append(f"{o.student_id} ({o.submission}): not graded")
        elif "duplicate_id" in o.flags:
            problems.append(f"{o.student_id} ({o.submission}): more than one submission has this id")
        else:
            grades.append((o.student_id, claims.total(o.regraded)))
    return grades, problems


def write_outputs(outcomes, class_summary, out, *, roster=None, assignment=lms.DEFAULT_ASSIGNMENT):
    """Write every file of a run; return what was left out of the LMS imports, one line each."""
    out = Path(out)
    _write_csv(out / "gradebook.csv", gradebook_rows(outcomes))
    grades, problems = lms_grades(outcomes)
    matched, unmatched = lms.match(grades, roster)
    _write_csv(out / "canvas.csv", lms.canvas_rows(matched, assignment))
    _write_csv(out / "moodle.csv", lms.moodle_rows(matched, roster, assignment))
    document = json.dumps(class_summary, indent=2).encode()
    write_atomic(out / "summary.json", lambda f: f.write(document))
    page = summary.markdown(class_summary).encode()
    write_atomic(out / "summary.md", lambda f: f.write(page))
    return problems + unmatched


def _write_csv(path, rows):
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    data = text.getvalue().encode()
    write_atomic(path, lambda f: f.write(data))


def _isolation(report):
    """The isolation a regrade ran under, as its report says; empty when there was none."""
    return str(claims.grading(report).get("isolation") or "") if report else ""


def _number(value):
    return "" if value is None else f"{value:g}"


def _cell(text):
    """Text for a spreadsheet cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


if __name__ == "__main__":
    sys.exit(main())
