"""Grade a folder from Python: ``grade(folder) -> report document``.

Used by the command line, by the kit's tests and by the instructor tools.
pytest runs in this process over ``grader/checks/`` with the grading plugin;
graded code runs only in the sandbox's worker processes.
"""

import contextlib
import io
import os
import sys
import time
from pathlib import Path

from . import KIT_ROOT, held_out as held_out_cases, honesty, isolation, report
from .stages import BY_ID, MODULES, STAGES

CHECKS_DIR = KIT_ROOT / "grader" / "checks"
DEFAULT_BUDGET_S = 120.0
STAGE_IDS = tuple(s.id for s in STAGES)
STOPPED = (2, 3, 4)  # pytest's exit statuses for a run it broke off: interrupted, internal error, usage error


class UsageError(ValueError):
    """The caller asked for something that cannot be graded; the message says what."""


class GradingInterrupted(Exception):
    """The user stopped the run (Ctrl-C); no report was written."""


def resolve_impl(path):
    """The submission folder ``path`` names: a path, or the words ``student`` / ``reference``.

    Relative paths are tried from the current directory, then from the kit's
    root. Raises UsageError unless it is a folder with at least one of the
    kit's modules.
    """
    path = Path(path).expanduser()
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, KIT_ROOT / path]
    folder = next((c for c in candidates if c.exists()), None)
    if folder is None:
        looked = " and ".join(str(c.parent) for c in candidates)
        raise UsageError(f"there is no folder {path} (looked in {looked})")
    if not folder.is_dir():
        raise UsageError(f"{folder} is a file; --impl takes the folder holding engine.py, nn.py, "
                         "train.py and derivatives.py")
    if not any((folder / f"{m}.py").is_file() for m in MODULES):
        raise UsageError(f"{folder} has none of {', '.join(m + '.py' for m in MODULES)}: "
                         "it is not a submission folder")
    return folder.resolve()


def select_stages(stages):
    """Stage ids in the table's order, all of them for ``None``; UsageError for an unknown one."""
    if stages is None:
        return list(STAGE_IDS)
    wanted = [str(s) for s in stages]
    unknown = [s for s in wanted if s not in STAGE_IDS]
    if unknown:
        raise UsageError(f"unknown stage {', '.join(unknown)}: the stages are {', '.join(STAGE_IDS)}")
    if not wanted:
        raise UsageError("no stage selected")
    return [s for s in STAGE_IDS if s in wanted]


def grade(folder, *, stages=None, student_id=None, report_path=None, budget_s=DEFAULT_BUDGET_S,
          checks=CHECKS_DIR, isolation_mode=None, held_out=None, progress=None):
    """Grade ``folder`` and return the report document (pytest-json-report's, plus ``grading``).

    ``stages``: stage ids to grade (default: all). ``report_path``: where to
    write the report, atomically (default: nowhere). ``budget_s``: the run's
    time budget; checks it leaves no time for are reported ``not_run``.
    ``checks``: the folder of checks (the kit's own by default).
    ``isolation_mode``: ``os``, ``user``, ``self-check`` or ``auto`` (default:
    ``$MICROGRAD_KIT_ISOLATION``, else the strongest this machine gives).
    ``held_out``: a secret the property checks draw their cases from
    (``grader/held_out.py``); the report says only that it was given. A report
    whose ``grading.errors`` is not empty marks a run in which the grader
    itself failed. ``progress(stage, flagged)``, if given, gets each stage's
    report object (and whether an honesty flag zeroes it) as soon as its last
    check is done. Raises UsageError for bad arguments, GradingInterrupted on
    Ctrl-C.
    """
    folder = resolve_impl(folder)
    selected = select_stages(stages)
    if not budget_s > 0:
        raise UsageError(f"the time budget must be a positive number of seconds, not {budget_s}")
    checks = Path(checks).resolve()
    try:
        mode = isolation.choose(isolation_mode)
    except isolation.Unavailable as error:
        raise UsageError(str(error)) from None
    if held_out is not None:
        try:
            held_out = held_out_cases.check_secret(held_out)
        except held_out_cases.SecretError as error:
            raise UsageError(str(error)) from None
    started, clock = report.now(), time.monotonic()
    on_stage = None
    with _off_import_path(folder):
        flags, notes, errors = _static_flags(folder)
        if progress is not None:
            def on_stage(stage_id, results, runtime_flags):
                flagged = stage_id in report.flagged_stages(flags + runtime_flags, selected)
                progress(report.stage_entry(BY_ID[stage_id], results, flagged), flagged)
        plugin, exitcode, output = _run_pytest(folder, selected, budget_s, checks, mode, held_out, on_stage)
    if plugin.interrupted:
        raise GradingInterrupted("grading was interrupted")
    errors += plugin.errors
    document = plugin.document
    if document is None or exitcode in STOPPED:
        errors.append(f"pytest could not run the checks (exit status {int(exitcode)}): "
                      + " / ".join(output.strip().splitlines()[-5:]))
    if document is None:
        document = report.bare_document(exitcode=exitcode, root=KIT_ROOT, started=started)
    document["grading"] = report.grading(
        folder=folder, student_id=student_id or None, stages=selected,
        check_results=plugin.check_results(), flags=flags + plugin.runtime_flags(), errors=errors,
        started=started, duration_s=time.monotonic() - clock, budget_s=budget_s, isolation=mode,
        honesty_notes=notes, held_out=held_out is not None, files=plugin.graded_files())
    document["environment"] = document["grading"]["environment"]
    if report_path is not None:
        report.write(document, report_path)
    return document


@contextlib.contextmanager
def _off_import_path(folder):
    """While grading, no folder on ``sys.path`` lies in the graded one: its files are never importable
    here. (Put back afterwards, for callers such as a notebook that imports the student's code itself.)"""
    def inside(entry):
        try:
            return Path(entry or ".").resolve().is_relative_to(folder)
        except (OSError, RuntimeError, ValueError):
            return True  # a path entry that cannot be resolved is not one the grader needs
    saved = list(sys.path)
    sys.path[:] = [entry for entry in saved if not inside(entry)]
    try:
        yield
    finally:
        sys.path[:] = saved + [entry for entry in sys.path if entry not in saved]


def _static_flags(folder):
    """Honesty flags found by reading the folder's code, where the scan gave up, and its own failure."""
    try:
        findings = honesty.examine(folder)
        return findings.flags, findings.notes, []
    except Exception as error:  # the scan is the grader's: its failure must show, not pass silently
        return [], [], [f"the honesty scan failed: {type(error).__name__}: {error}"]


def _run_pytest(folder, stages, budget_s, checks, mode, held_out, on_stage=None):
    """Run the checks in this process; return the plugin, pytest's exit code and its (silenced) output."""
    import pytest
    import pytest_jsonreport.plugin

    from .plugin import GradingPlugin

    plugin = GradingPlugin(stages, budget_s, on_stage)
    inside_kit = checks.is_relative_to(KIT_ROOT)
    args = [
        *_check_paths(checks, stages), "--impl", str(folder), "--isolation", mode,
        "-c", os.devnull, "--rootdir", str(KIT_ROOT if inside_kit else checks.parent),
        # pytest-json-report is handed over as a module, not named with -p: a name makes pytest read the
        # metadata of every package on sys.path looking for it (a planted FIFO would hang the grade)
        "--json-report", "--json-report-file=none",
        # nothing the grade does not use: no cache, no gc.collect() rounds for unraisable exceptions
        "-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:threadexception",
        # a check's failure says what it needs to; pytest's own tracebacks would parse the
        # source of every frame (seconds, on pristine stubs), Python's are cheap
        "--capture=sys", "--tb=native", "-q", "--no-header", "--no-summary",
        "--assert=plain",  # checks raise CheckFailed, never a bare assert: rewriting them is wasted time
        "--continue-on-collection-errors",
        "--import-mode=importlib",  # the checks' folder is not put on sys.path (it holds the kit's root)
    ]
    output = io.StringIO()
    with _plain_pytest_environment(), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        exitcode = pytest.main(args, plugins=[plugin, pytest_jsonreport.plugin, held_out_cases.Seeding(held_out)])
    return plugin, exitcode, output.getvalue()


def _check_paths(checks, stages):
    """Only the selected stages' check modules when each has its own, so that a
    one-stage grade imports only what that stage needs (stage 0 never loads
    hypothesis); the whole folder otherwise."""
    if len(stages) == len(STAGE_IDS):
        return [str(checks)]
    paths = []
    for stage in stages:
        found = sorted(checks.glob("test_bonus*.py" if stage == "bonus" else f"test_stage_{stage}.py"))
        if len(found) != 1:
            return [str(checks)]
        paths.append(str(found[0]))
    return paths


@contextlib.contextmanager
def _plain_pytest_environment():
    """pytest as the grader configures it: no plugins picked up from the environment or from installed
    packages' entry points (looking for those reads every folder on sys.path)."""
    changed = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": None, "PYTEST_PLUGINS": None,
               "HYPOTHESIS_NO_PLUGINS": "1"}
    saved = {name: os.environ.get(name) for name in changed}
    try:
        for name, value in changed.items():
            _set_env(name, value)
        yield
    finally:
        for name, value in saved.items():
            _set_env(name, value)


def _set_env(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
