"""Grade submissions in forks of a process that has already imported the grader.

Starting Python, pytest, hypothesis and the checks costs more than grading a
submission. A *zygote* process imports them once; for each submission it
forks a child that grades one folder exactly as ``python -m grader`` would
(``grader.cli.main``), in a session of its own, then exits. Each grade still
runs in a process of its own, from the zygote's untouched state (nothing one
grade leaves behind reaches the next), with its own time limit, its whole
process tree killed when it overruns.

The zygote reads requests on stdin and answers on stdout, one JSON object a
line: ``{"argv": [...], "log": PATH, "held_out": SECRET or null}`` gets
``{"pid": N}`` once the child runs, then ``{"status": N}`` when it ended (a
negative N: killed by signal -N). The secret travels only on this pipe.
"""

import gc
import importlib
import json
import os
import platform
import select
import subprocess
import sys
import time

from .. import KIT_ROOT, held_out, sandbox
from .processes import kill_tree, track, untrack

STARTUP_S = 120.0  # importing the grader takes about a second; a loaded machine may take far longer


class ZygoteDied(Exception):
    """The zygote stopped answering; the message says what it last did."""


def available():
    """Forking is what makes this fast; without it (Windows), collect starts ``python -m grader`` each time."""
    return hasattr(os, "fork")


class Zygote:
    """One zygote process, used by one thread at a time: ``grade`` blocks until its child has ended."""

    def __init__(self):
        env = {name: value for name, value in os.environ.items() if name != held_out.ENV}  # the pipe brings it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader.instructor.forked"], cwd=KIT_ROOT, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        track(self.process)
        self._pending = b""

    @property
    def pid(self):
        return self.process.pid

    def grade(self, argv, log, timeout, secret=None):
        """Grade by ``grader.cli.main(argv)`` in a fresh fork, output to ``log``.

        Returns the exit status, or None when the child ran past ``timeout``
        seconds and was killed with everything it started.
        """
        request = {"argv": [str(a) for a in argv], "log": str(log), "held_out": secret}
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            raise ZygoteDied("the grading process was gone before the submission reached it") from None
        child = self._reply(STARTUP_S + timeout, "start grading")["pid"]
        try:
            return self._reply(timeout, "finish")["status"]
        except TimeoutError:
            kill_tree(child)
            self._reply(STARTUP_S, "stop an overrun grade")
            return None

    def close(self):
        """Let the zygote end (end of input), and make sure it does."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            kill_tree(self.process.pid)
            self.process.wait()
        finally:
            self.process.stdout.close()
            untrack(self.process)

    def _reply(self, timeout, doing):
        """The zygote's next line, parsed; TimeoutError after ``timeout`` s, ZygoteDied when it is gone."""
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise ZygoteDied(f"the grading process ended before it could {doing} "
                                     f"(exit status {self.process.poll()})")
                self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)


def serve():
    """The zygote: import everything a grade needs, then fork one child per request."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # a stray print from an import must not garble the protocol
    _preload()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            protocol.close()
            _child(request)  # never returns
        print(json.dumps({"pid": pid}), file=protocol, flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), file=protocol, flush=True)


def _preload():
    """What every grade imports, the check modules included (pytest then finds them imported).

    Then the objects so made are frozen out of the garbage collector's sight:
    a child's collections only walk what its own grade made, and never touch
    (so never copy) the zygote's memory.
    """
    for name in ("pytest", "hypothesis", "pytest_jsonreport.plugin", "grader.cli", "grader.api",
                 "grader.plugin", "grader.terminal", "grader.report", "grader.html_report", "grader.history",
                 "grader.instructor.gradescope"):
        importlib.import_module(name)
    for path in sorted((KIT_ROOT / "grader" / "checks").glob("*.py")):
        importlib.import_module(f"grader.checks.{path.stem}")
    for name in ("engine", "nn", "train", "derivatives"):  # what the checks' ``ref`` fixture imports
        importlib.import_module(f"reference.{name}")
    for path in sorted((KIT_ROOT / "grader" / "worker").glob("*.py")):  # the scenarios, run on the reference
        if path.stem not in ("main", "guard"):  # those two only ever run in a worker
            importlib.import_module(f"grader.worker.{path.stem}")
    from _pytest.config import default_plugins  # pytest imports its own plugins in every pytest.main

    for name in default_plugins:
        try:
            importlib.import_module(f"_pytest.{name}")
        except ImportError:  # a plugin this pytest does not have as a module: the grade finds out, not this
            pass
    platform.platform()  # the report's environment: cached, instead of running `uname -p` for every grade
    sandbox.worker_files()  # compiled here, once
    _scan_local_constants()
    gc.collect()
    gc.freeze()


def _scan_local_constants():
    """Let hypothesis read the grader's modules for constants now, once, instead of in every child.

    hypothesis draws some values from constants in the local modules loaded,
    which it parses at a test's first draw (a fifth of a grade's CPU here).
    Everything the children will load is loaded by now, so each inherits the
    finished scan. A hypothesis that no longer has the function keeps its own way.
    """
    from hypothesis.internal.conjecture import providers

    scan = getattr(providers, "_get_local_constants", None)
    if scan is not None:
        scan()


def _child(request):
    """Grade as ``python -m grader`` would, with output to the log; end with its exit status."""
    status = 3
    try:
        os.setsid()  # like run_bounded's children: its own session, killed as a tree on overrun
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(KIT_ROOT)
        os.environ["NO_COLOR"] = "1"
        os.environ.pop(held_out.ENV, None)  # the request says whether this grade is held out
        from grader import cli

        argv = list(request["argv"])
        if request.get("held_out"):
            argv += ["--held-out", request["held_out"]]
        status = cli.main(argv)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(status if isinstance(status, int) else 3)


if __name__ == "__main__":
    serve()
