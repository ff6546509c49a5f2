"""The pytest plugin that scores checks: stage and points per check, feedback per failure, a time budget.

The grading process runs pytest in-process with one ``GradingPlugin``. It
never sees graded code, only what a check raises: ``CheckFailed`` (a wrong
answer, with a hint), a ``GradedCodeError`` (the graded code did not answer
normally: not implemented, raised, would not import, hung, died), or anything
else, which is the grader's own failure and is never blamed on the student.
"""

import contextlib
import inspect
import math
import signal
import threading
import time

import pytest

from .feedback import CheckFailed, location
from .flags import Intake
from .hangs import Blocked, describe
from .hints import HINTS
from .sandbox import (Crashed, GradedCodeError, ImportFailed, NotImplementedYet, TimedOut, TooMuchMemory,
                      TooMuchOutput)
from .stages import BY_ID, docs_url

MAX_TEXT = 2000  # a message, expected or got: enough to read, never a flood
MAX_TRACEBACK = 8000


class BudgetExhausted(BaseException):
    """Raised into the running check when the run's time budget is used up.

    A BaseException, like KeyboardInterrupt, so that hypothesis stops at once
    instead of shrinking the example it was running.
    """


class GradingPlugin:
    """Collects one result per check of the selected stages, in collection order."""

    def __init__(self, stages, budget_s, on_stage=None):
        self.stages = set(stages)
        # on_stage(stage id, [check result], runtime flags so far): called once a stage's last check is done
        self.on_stage = on_stage
        self._announced = set()
        self.budget_s = budget_s
        self.deadline = None
        self.checks = {}  # nodeid -> (stage id, item): the selected checks, in order
        self.results = {}  # nodeid -> check result (the report's shape)
        self.errors = []  # the grader's own failures, in words
        self.interrupted = False
        self.document = None  # pytest-json-report's document, once the session ends
        self._sandboxes = {}
        self._out_of_time = set()

    # ---- setting up ----

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "stage(id): the stage a check module scores (\"0\"..\"5\", \"bonus\")")
        config.addinivalue_line("markers", "points(p): what a check is worth")

    def pytest_sessionstart(self, session):
        self.deadline = time.monotonic() + self.budget_s

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"the checks in {report.nodeid or 'the check folder'} could not be loaded: "
                               f"{_last_line(report.longreprtext)}")

    def pytest_collection_modifyitems(self, session, config, items):
        selected, deselected = [], []
        for item in items:
            stage, points = item.get_closest_marker("stage"), item.get_closest_marker("points")
            stage_id = str(stage.args[0]) if stage and stage.args else None
            if stage_id not in BY_ID or not (points and points.args and _is_points(points.args[0])):
                self.errors.append(f"{item.nodeid} is not a valid check: it needs a stage mark "
                                   f"({', '.join(BY_ID)}) and a points mark")
                deselected.append(item)
            elif stage_id in self.stages:
                self.checks[item.nodeid] = (stage_id, item)
                selected.append(item)
            else:
                deselected.append(item)
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected

    # ---- running ----

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if time.monotonic() >= self.deadline:
            self._out_of_time.add(item.nodeid)
            item.add_marker(pytest.mark.skip(reason="out of time"))  # skipped before any fixture runs

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        with _alarm(self.deadline - time.monotonic()):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if item.nodeid in self.checks:
            self._record(item, call, report)
            self._announce(self.checks[item.nodeid][0])
        return report

    def pytest_keyboard_interrupt(self, excinfo):
        self.interrupted = excinfo.errisinstance(KeyboardInterrupt)  # not pytest.exit(), a grader failure

    def pytest_json_modifyreport(self, json_report):
        self.document = json_report

    def _record(self, item, call, report):
        nodeid = item.nodeid
        error = call.excinfo.value if call.excinfo else None
        if report.when == "teardown":
            if report.failed:
                self.errors.append(f"cleaning up after {nodeid} failed: {_describe(error)}")
            return
        if report.when == "call":
            sandbox = item.funcargs.get("sandbox")
            if sandbox is not None:
                self._sandboxes[id(sandbox)] = sandbox
        if report.passed:
            if report.when == "call":
                self.results[nodeid] = self._result(nodeid, "passed")
        elif report.skipped:
            if nodeid in self._out_of_time:
                self.results[nodeid] = self._result(
                    nodeid, "not_run", message=f"not run: the grading time budget ({self.budget_s:g} s) "
                                               "was used up before this check")
            else:
                reason = getattr(error, "msg", None) or _last_line(report.longreprtext)
                self.results[nodeid] = self._result(nodeid, "skipped", message=reason)
        else:
            feedback = self._verdict(error)
            if feedback.pop("grader_error", False):
                self.errors.append(f"{nodeid}: {feedback['message']}")
                feedback["traceback"] = report.longreprtext
            self.results[nodeid] = self._result(nodeid, **feedback)

    def _announce(self, stage):
        """Hand a finished stage's results to ``on_stage``, once, as soon as its last check has one."""
        if self.on_stage is None or stage in self._announced:
            return
        nodeids = [nodeid for nodeid, (stage_id, _) in self.checks.items() if stage_id == stage]
        if all(nodeid in self.results for nodeid in nodeids):
            self._announced.add(stage)
            try:
                self.on_stage(stage, [dict(self.results[nodeid]) for nodeid in nodeids], self.runtime_flags())
            except OSError:  # nowhere to show progress (a closed pipe): grading goes on, silently
                self.on_stage = None
            except Exception as error:
                self.errors.append(f"showing stage {stage}'s progress failed: {_describe(error)}")

    def _verdict(self, error):
        """What went wrong, in the report's terms, from what the check raised."""
        error = _leaf(error)
        detail = getattr(error, "detail", None) or {}
        traceback = detail.get("traceback") or detail.get("output")
        if isinstance(error, CheckFailed):
            return dict(outcome="failed", message=error.message, expected=error.expected, got=error.got,
                        case=error.case, hint_id=error.hint, graph=error.graph)
        if isinstance(error, NotImplementedYet):
            what = detail.get("message") or error.message
            return dict(outcome="not_implemented", message=f"not implemented yet: {what}" if what else
                        "not implemented yet", hint_id="not-implemented", traceback=traceback)
        if isinstance(error, ImportFailed):
            return dict(outcome="error", message=error.message + location(detail, error.message),
                        hint_id="import-failed", traceback=traceback)
        if isinstance(error, Blocked):  # the hang is reported once, by the check it happened in
            return dict(outcome="not_run", message=error.message, hint_id="timed-out")
        if isinstance(error, TimedOut):
            return dict(outcome="timeout", message=f"your code did not finish: {describe(error)}",
                        hint_id="timed-out", traceback=traceback)
        if isinstance(error, Crashed):
            hint = {TooMuchMemory: "too-much-memory", TooMuchOutput: "too-much-output"}.get(type(error), "crashed")
            return dict(outcome="crashed", message=error.message, hint_id=hint, traceback=traceback)
        if isinstance(error, GradedCodeError):
            return dict(outcome="error", traceback=traceback, hint_id="raised-exception",
                        message=f"your code raised {error.message}{location(detail, error.message)}")
        if isinstance(error, BudgetExhausted):
            return dict(outcome="timeout", message=f"stopped: the grading time budget ({self.budget_s:g} s) "
                                                   "ran out during this check", hint_id="timed-out")
        if isinstance(error, (AssertionError, pytest.fail.Exception)):
            return dict(outcome="failed", message=str(error) or "the check failed")
        return dict(outcome="error", grader_error=True,
                    message=f"the grader failed on this check (a problem in the kit, not in your code): "
                            f"{_describe(error)}")

    def _result(self, nodeid, outcome, *, message=None, expected=None, got=None, case=None, hint_id=None,
                traceback=None, graph=None):
        stage, item = self.checks[nodeid]
        max_points = float(item.get_closest_marker("points").args[0])
        hint = HINTS.get(hint_id) if hint_id else None
        if hint:
            docs = hint.docs
        elif outcome in ("passed", "skipped"):
            docs = None
        else:
            docs = docs_url(BY_ID[stage].page)
        function = getattr(item, "function", None)
        doc = inspect.getdoc(function) if function else None
        result = {
            "nodeid": nodeid,
            "name": item.name,
            "description": doc.strip().splitlines()[0] if doc else None,
            "outcome": outcome,
            "points": max_points if outcome == "passed" else 0.0,
            "max_points": max_points,
            "message": _text(message),
            "expected": _plain(expected),
            "got": _plain(got),
            "case": _text(case),
            "hint": f"{hint.title}: {hint.text}" if hint else None,
            "hint_id": hint_id,
            "docs": docs,
            "traceback": _text(traceback, MAX_TRACEBACK),
        }
        if graph is not None:  # the failing case drawn as a graph in the HTML report
            result["graph"] = graph
        return result

    # ---- what the run produced ----

    def check_results(self):
        """``[(stage id, result)]`` for every selected check; one that never ran says so."""
        results = []
        for nodeid, (stage, _) in self.checks.items():
            result = self.results.get(nodeid) or self._result(
                nodeid, "not_run", message="not run: grading stopped before this check")
            results.append((stage, result))
        return results

    def graded_files(self):
        """``{file name: sha256 or None}`` of the copy the workers graded; None where they read the folder itself."""
        for sandbox in self._sandboxes.values():
            if getattr(sandbox, "graded_files", None) is not None:
                return dict(sandbox.graded_files)
        return None

    def runtime_flags(self):
        """What the sandboxes saw graded code try (importing or reading the reference, ...)."""
        intake = Intake()  # each sandbox caps its own; together they are capped again
        for sandbox in self._sandboxes.values():
            intake.extend(getattr(sandbox, "flags", None) or ())
        return intake.flags


@contextlib.contextmanager
def _alarm(seconds):
    """Raise BudgetExhausted in the main thread after ``seconds`` (where signals allow it).

    A timer already set by someone else (pytest-timeout in the kit's own
    tests) is put back afterwards, minus the time spent here.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum, frame):
        raise BudgetExhausted()

    previous_handler = signal.signal(signal.SIGALRM, ring)
    start = time.monotonic()
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            left = max(previous_delay - (time.monotonic() - start), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


def _leaf(error):
    """The first telling exception inside an exception group (hypothesis reports several bugs so)."""
    while isinstance(error, BaseExceptionGroup):
        telling = [e for e in error.exceptions if isinstance(e, (CheckFailed, GradedCodeError))]
        error = (telling or error.exceptions)[0]
    return error


def _describe(error):
    return f"{type(error).__name__}: {error}" if error is not None else "unknown error"


def _is_points(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _last_line(text):
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no details"


def _text(value, limit=MAX_TEXT):
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= limit else value[:limit] + " [...]"


def _plain(value):
    """A report-safe ``expected``/``got``: a finite number, a string, or null (JSON has no NaN)."""
    if value is None or isinstance(value, str):
        return _text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return _text(repr(value))
