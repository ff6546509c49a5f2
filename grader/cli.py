"""``python -m grader``: grade a folder, verify a report, or run an instructor tool.

Exit status of a grade: 0 when the report was written (whatever the score),
1 when ``--fail-under`` was not met, 2 for a usage error, 3 when grading
itself failed (a report marking the failure is still written).
"""

import argparse
import importlib
import os
import sys
import traceback
from pathlib import Path

from . import KIT_ROOT, isolation
from .stages import STAGES

OK, BELOW_FAIL_UNDER, USAGE, GRADER_FAILED, INTERRUPTED = 0, 1, 2, 3, 130
STUDENT_ID_ENV = "MICROGRAD_KIT_STUDENT_ID"
HELD_OUT_ENV = "MICROGRAD_KIT_HELD_OUT"  # grader.held_out.ENV, named here so that --help loads nothing
DEFAULT_REPORT = KIT_ROOT / "reports" / "grade-report.json"
TOOLS = {  # subcommand -> the module whose main(argv) runs it
    "verify": "grader.instructor.verify",
    "submit": "grader.submit",
    "collect": "grader.instructor.collect",
    "gradescope": "grader.instructor.gradescope",
    "prairielearn": "grader.instructor.prairielearn",
}
USAGE_TEXT = """\
python -m grader [grade] [--stage N]... [--impl PATH] [--report PATH] [--student-id ID]
                        [--fail-under SCORE] [--verbose] [--gradescope PATH] [--time-budget S]
                        [--isolation MODE] [--open] [--watch] [--held-out SECRET]
       python -m grader verify REPORT --impl FOLDER [--isolation MODE] [--allow-self-check]
       python -m grader submit|collect|gradescope|prairielearn ...   (each has its own --help)"""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in TOOLS:
        return run_tool(argv[0], argv[1:])
    if argv and argv[0] == "grade":
        argv = argv[1:]
    return grade_command(argv)


def run_tool(name, argv):
    """Hand the arguments to a subcommand's own ``main``."""
    try:
        module = importlib.import_module(TOOLS[name])
    except ModuleNotFoundError as error:
        if error.name != TOOLS[name]:
            raise
        print(f"python -m grader {name}: this copy of the kit has no {TOOLS[name].replace('.', '/')}.py",
              file=sys.stderr)
        return USAGE
    return _exit_code(module.main, argv)


def parser():
    from .api import DEFAULT_BUDGET_S

    stage_ids = [s.id for s in STAGES]
    p = argparse.ArgumentParser(
        prog="python -m grader", usage=USAGE_TEXT,
        description="Grade a micrograd implementation against the kit's reference: every stage's checks, "
                    "feedback for each failure, and a JSON score report.",
        epilog="Exit status: 0 report written (whatever the score), 1 --fail-under not met, "
               "2 usage error, 3 grading itself failed.")
    p.add_argument("--stage", action="append", choices=stage_ids, metavar="N",
                   help=f"grade only stage N ({', '.join(stage_ids)}); repeatable (default: all)")
    p.add_argument("--impl", default="student", metavar="PATH",
                   help="the folder to grade: student (default), reference, or any submission folder")
    p.add_argument("--report", type=Path, default=DEFAULT_REPORT, metavar="PATH",
                   help="where to write the JSON report (default: reports/grade-report.json); the HTML "
                        "report goes beside it, with the same name ending in .html")
    p.add_argument("--student-id", metavar="ID",
                   help=f"who is graded, recorded in the report (default: ${STUDENT_ID_ENV})")
    p.add_argument("--fail-under", type=float, metavar="SCORE",
                   help="exit with status 1 when the score is below SCORE")
    p.add_argument("--verbose", "-v", action="store_true", help="also show tracebacks")
    p.add_argument("--gradescope", type=Path, metavar="PATH",
                   help="also write the result in Gradescope's results.json format to PATH")
    p.add_argument("--time-budget", type=_seconds, default=None, metavar="S",
                   help=f"stop grading after S seconds; checks left are reported as not run "
                        f"(default: {DEFAULT_BUDGET_S:g})")
    p.add_argument("--held-out", metavar="SECRET",
                   help="official grading: draw the property checks' cases from SECRET, so they are cases "
                        f"the student never saw (default: ${HELD_OUT_ENV}); the report never holds the secret")
    p.add_argument("--isolation", choices=isolation.CHOICES, default=None, metavar="MODE",
                   help="how graded code is walled off: os (bubblewrap), user (an unprivileged user), "
                        "self-check (the in-process guard only) or auto, the strongest this machine gives "
                        f"(default: ${isolation.ENV} or auto)")
    p.add_argument("--open", action="store_true",
                   help="open the HTML report in the web browser once it is written")
    p.add_argument("--watch", action="store_true",
                   help="keep running: regrade on every save in the graded folder, only the stages the "
                        "saved file touches (Ctrl-C to stop)")
    p.add_argument("--checks", type=Path, default=None, metavar="DIR",
                   help="the checks to run (default: the kit's grader/checks; for the kit's maintainers)")
    return p


def grade_command(argv):
    args, status = _parse(parser(), argv)
    if args is None:
        return status
    from . import api, report

    student_id = args.student_id if args.student_id is not None else os.environ.get(STUDENT_ID_ENV)
    student_id = (student_id or "").strip() or None
    folder = None
    try:
        if student_id is not None and not student_id.isprintable():
            raise api.UsageError("the student id must be one line of printable text")
        if args.watch and (args.gradescope or args.fail_under is not None):
            raise api.UsageError("--watch regrades until you stop it: it has no final score for "
                                 "--fail-under or --gradescope")
        if args.report.is_dir():
            raise api.UsageError(f"--report {args.report} is a folder; give the path of the file to write")
        gradescope = _gradescope() if args.gradescope else None  # loaded before any graded code runs
        folder = api.resolve_impl(args.impl)
        options = {"stages": args.stage, "student_id": student_id}
        if args.time_budget is not None:
            options["budget_s"] = args.time_budget
        if args.checks is not None:
            options["checks"] = args.checks
        held_out = args.held_out if args.held_out is not None else os.environ.get(HELD_OUT_ENV)
        if held_out is not None:
            options["held_out"] = held_out
        if args.isolation is not None:
            options["isolation_mode"] = args.isolation
        if args.watch:
            return _watch(args, folder, options)
        progress = _Progress(sys.stdout, report.shown_path(folder), student_id, api.select_stages(args.stage))
        document = api.grade(folder, progress=progress.stage, **options)
    except api.UsageError as error:
        return _usage_error(str(error))
    except (KeyboardInterrupt, api.GradingInterrupted):
        print("\ninterrupted: no report written", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:  # the grader's own bug: say so, and leave a report that says so too
        return _grader_crashed(error, args, folder=folder, student_id=student_id)

    status = _publish(document, args, printed=progress.lines)
    if status != OK:
        return status
    if args.open:
        _open(html_path(args.report))
    grading = document["grading"]
    if gradescope:
        try:
            gradescope.write_results(document, args.gradescope)
        except Exception as error:
            print(f"error: could not write the Gradescope results to {args.gradescope}: {error}",
                  file=sys.stderr)
            return GRADER_FAILED
    if grading["errors"]:
        return GRADER_FAILED
    if args.fail_under is not None and grading["score"] < args.fail_under:
        print(f"The score {grading['score']:g} is below --fail-under {args.fail_under:g}.", file=sys.stderr)
        return BELOW_FAIL_UNDER
    return OK


def _publish(document, args, shown=None, printed=()):
    """Write the JSON report, the student's history and the HTML report; print ``shown`` (the document).

    ``printed``: the header and stage lines already shown while grading, not repeated.

    The JSON is the report that counts: the HTML beside it is a view of it,
    and failing to write that view is said but changes nothing else.
    """
    from . import report, terminal

    try:
        report.write(document, args.report)
    except (OSError, ValueError) as error:
        print(f"error: could not write the report to {args.report}: {getattr(error, 'strerror', None) or error}",
              file=sys.stderr)
        return GRADER_FAILED
    shown = shown or document
    html_written = write_html(document, args.report, shown)
    try:
        text = terminal.render(shown, style=terminal.style_for(sys.stdout), verbose=args.verbose,
                               report_path=_shown(args.report), shown=printed, note=_site_note())
        if html_written:
            text += f"HTML report: {_shown(html_written)}" + ("" if args.open or args.watch else
                                                             "   (add --open to open it)") + "\n"
        _print(text)
    except Exception as error:  # the report is written; a rendering bug must not hide that
        print(f"error: the report was written to {_shown(args.report)}, but showing it failed: "
              f"{type(error).__name__}: {error}", file=sys.stderr)
        return GRADER_FAILED
    return OK


SITE_PENDING_ENV = "MICROGRAD_KIT_SITE_PENDING"  # set by `nox -s grade` when it builds site/ after grading


def _site_note():
    """One line when the docs links point into a site/ that is not built yet, saying how it comes."""
    from .stages import site_missing

    if not site_missing():
        return None
    if os.environ.get(SITE_PENDING_ENV):
        return "The docs links open the site in site/, which nox builds right after this grade."
    return "The docs links open the site in site/, which is not built yet: run `nox -s docs` (or `nox -s serve`)."


class _Progress:
    """The header at once, then each stage's summary lines as soon as it and the stages above it are graded.

    Written to the stream that was stdout when grading began (pytest's own
    output is silenced meanwhile), flushed line by line, terminal or not.
    """

    def __init__(self, stream, path, student_id, stage_ids):
        from . import __version__, terminal

        self.stream, self.terminal = stream, terminal
        self.style = terminal.style_for(stream)
        self.waiting = list(stage_ids)  # the table's order, whatever order the checks run in
        self.done = {}
        self.lines = terminal.header(__version__, path, student_id, self.style) + [""]
        _print("\n".join(self.lines) + "\n", stream)

    def stage(self, stage, flagged):
        self.done[stage["id"]] = self.terminal.stage_lines(stage, flagged, self.style)
        lines = []
        while self.waiting and self.waiting[0] in self.done:
            lines += self.done.pop(self.waiting.pop(0))
        if lines:
            self.lines += lines
            _print("\n".join(lines) + "\n", self.stream)


def html_path(report_path):
    """The HTML report beside the JSON one: ``reports/grade-report.json`` -> ``reports/grade-report.html``."""
    report_path = Path(report_path)
    return report_path.with_suffix(".html") if report_path.suffix != ".html" else \
        report_path.with_name(report_path.name + ".html")


def write_html(document, report_path, graded):
    """Add ``graded`` to the student's history (default report only), then write the HTML report.

    Returns the HTML report's path, or None after saying why it could not be written.
    """
    from . import history, html_report

    path = html_path(report_path)
    try:
        runs = None
        if Path(report_path).absolute() == DEFAULT_REPORT:  # the student's own runs, not regrades elsewhere
            log = history.path_beside(report_path)
            try:
                if graded is not None:
                    history.append(log, graded)
            except OSError as error:
                print(f"warning: could not add this grade to {_shown(log)}: {error.strerror or error}",
                      file=sys.stderr)
            runs = history.read(log, impl=document["grading"]["impl"]["path"])
        html_report.write(document, path, runs)
        return path
    except Exception as error:  # the JSON report is written and is what counts
        print(f"warning: the JSON report is written, but the HTML report {_shown(path)} could not be: "
              f"{type(error).__name__}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return None


def _open(path):
    """Open the HTML report in the user's browser; say so when there is none."""
    import webbrowser

    if not Path(path).is_file():
        return
    try:
        opened = webbrowser.open(Path(path).absolute().as_uri())
    except Exception:  # webbrowser raises on some broken setups; never worth a traceback
        opened = False
    if not opened:
        print(f"--open: no web browser found here; open {_shown(path)} in one yourself", file=sys.stderr)


def _watch(args, folder, options):
    """``--watch``: grade, then regrade the stages each save touches, until Ctrl-C."""
    from . import api, watch

    def grade(stages):
        return api.grade(folder, **{**options, "stages": stages})

    opened = []

    def show(document, regraded):
        """Write the merged report; print what was regraded, and the new total over every stage."""
        _publish(document, args, shown=regraded)
        if len(regraded["grading"]["selected_stages"]) < len(document["grading"]["selected_stages"]):
            grading = document["grading"]
            _print(f"All stages: {grading['score']:g}/{grading['max_score']:g}\n")
        if args.open and not opened:  # once: the student reloads the page after that
            opened.append(True)
            _open(html_path(args.report))

    selected = api.select_stages(args.stage)
    return watch.run(folder, selected, grade, show, out=lambda text: _print(text + "\n"))


def _gradescope():
    """The Gradescope writer, or UsageError when this copy of the kit has none."""
    from .api import UsageError

    try:
        return importlib.import_module("grader.instructor.gradescope")
    except ModuleNotFoundError as error:
        if error.name != "grader.instructor.gradescope":
            raise
        raise UsageError("--gradescope needs grader/instructor/gradescope.py, which this copy of the kit lacks") from None


def _grader_crashed(error, args, *, folder, student_id):
    from . import api, report

    message = f"the grader itself failed: {type(error).__name__}: {error}"
    print(f"error: {message}\nThis is a problem in the kit, not in your code.", file=sys.stderr)
    if args.verbose:
        traceback.print_exc()
    if folder is not None:
        try:
            document = report.failure_document(folder=folder, student_id=student_id, stages=args.stage,
                                               message=message, budget_s=args.time_budget or api.DEFAULT_BUDGET_S)
            report.write(document, args.report)
            print(f"A report marking the failure was written to {_shown(args.report)}.", file=sys.stderr)
            write_html(document, args.report, graded=None)  # the kit's failure is no step in the history
        except Exception as failure:
            print(f"No report was written: {failure}", file=sys.stderr)
    return GRADER_FAILED


def _parse(p, argv):
    """``(args, None)``, or ``(None, exit status)`` after --help or a usage error."""
    try:
        return p.parse_args(argv), None
    except SystemExit as exit:
        return None, exit.code if isinstance(exit.code, int) else USAGE


def _exit_code(function, argv):
    try:
        status = function(argv)
    except SystemExit as exit:
        status = exit.code
    if status is None:
        return OK
    return status if isinstance(status, int) else USAGE


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _usage_error(message):
    print(f"usage: {USAGE_TEXT}\npython -m grader: error: {message}", file=sys.stderr)
    return USAGE


def _shown(path):
    """A path as the user would type it: relative to where they are, when it is below it."""
    path = Path(path).absolute()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print(text, stream=None):
    """Write text the stream can encode (a non-UTF-8 terminal gets '?' for what it cannot show)."""
    stream = stream or sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        stream.write(text.encode(encoding, "replace").decode(encoding))
        stream.flush()
    except BrokenPipeError:  # `python -m grader | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
