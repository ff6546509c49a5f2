"""Run graded code in worker processes and get plain answers back.

The grader's checks never touch a submission's objects: they ask a worker
(``worker/main.py``, a separate process, walled off as ``isolation.py``
says: in bubblewrap's namespaces, as an unprivileged user, or by
``worker/guard.py`` alone) to run a named scenario (``scenarios.py``) and get
JSON back, parsed and checked here. Every operation has a deadline: a worker
that hangs is killed (SIGKILL to its process group, and under ``os``
isolation to its PID namespace, which no handler can ignore), one that dies or
garbles its answer is replaced for the next call, and either way the check
that asked gets an exception saying, in plain words, what happened and where.

Modules are imported in requests of their own, each with its own deadline,
and a failure (an exception, a hang, an exit) is remembered per module: a
broken ``nn.py`` costs the checks that need it, once, and nothing else.
What the guard saw graded code attempt (importing or reading the reference,
writing the report, ...) accumulates in ``Sandbox.flags``.
"""

import functools
import importlib.util
import json
import marshal
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import KIT_ROOT
from .stages import MODULES

try:  # Linux: start workers with address-space randomisation off
    import ctypes
    _personality = ctypes.CDLL(None, use_errno=True).personality
except (ImportError, OSError, AttributeError):
    _personality = None
ADDR_NO_RANDOMIZE = 0x0040000


def _fixed_addresses():
    """In the new worker, before exec: the same addresses every run.

    A ``Value`` hashes by its address, so graded code that walks a set of
    Values (``_prev`` is one) visits them in an order set by where they were
    allocated. With randomisation off, that order, and so the grade of code
    whose result depends on it, is the same on every run.
    """
    _personality(ADDR_NO_RANDOMIZE)
from . import isolation as isolation_modes, scenarios
from .flags import MAX_REASON, Intake
from .isolation import IMPLEMENTED
from .worker.main import CHANNEL_BROKEN, HEADER

GRADER_DIR = KIT_ROOT / "grader"
WORKER_DIR = GRADER_DIR / "worker"
REFERENCE_DIR = KIT_ROOT / "reference"
# what graded code reading is borrowing the answer: the reference, the grader, the kit's own tests (correct
# solutions among them) and its history
PROTECTED_DIRS = (REFERENCE_DIR, GRADER_DIR, KIT_ROOT / "tests", KIT_ROOT / ".git")
MAX_REPLY_BYTES = 16 * 1024 * 1024
EXCERPT_BYTES = 2000
DEFAULT_CALL_TIMEOUT = 5.0
DEFAULT_MEMORY_MB = 1024
KILL_TIMEOUT = 5.0  # waiting for a SIGKILLed process to be reaped; past it, give up on it
STACK_DUMP_WAIT = 0.5  # how long a hung worker gets to say where it is stuck
ERROR_KINDS = ("import", "not_implemented", "exception", "memory", "grader")
LOADER_VARIABLES = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH")  # Python may need them
SIGNAL_WORDS = {
    signal.SIGSEGV: "crashed with a segmentation fault (often: recursion far deeper than the stack allows, "
                    "after raising sys.setrecursionlimit)",
    signal.SIGBUS: "crashed (bus error)",
    signal.SIGFPE: "crashed (floating-point exception at the C level)",
    signal.SIGILL: "crashed (illegal instruction)",
    signal.SIGABRT: "aborted",
    signal.SIGXCPU: "used more CPU time than a worker is allowed",
    signal.SIGKILL: "was killed (SIGKILL; the system does this when memory runs out)",
}
PYTHON_FLAGS = ("-s", "-S", "-P", "-B", "-u", "-X", "utf8")
# imported, not run as a script, so that it too loads compiled (a script is compiled at every start)
WORKER_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); import main; main.main()"
# os isolation: where a worker finds its files, inside its own mount namespace
INSIDE_WORKER, INSIDE_SUBMISSION, INSIDE_SCRATCH = "/worker", "/submission", "/scratch"
TMPFS_BYTES = 64 * 1024 * 1024  # a worker's private /tmp and /dev/shm, each; they vanish with it
MAX_MODULE_BYTES = 4 * 1024 * 1024  # a submission file larger than this is not copied in, nor graded
DUMP_FRAME = re.compile(r'^\s*File "(?P<file>.+)", line (?P<line>\d+) in (?P<function>\S+)', re.MULTILINE)


class GradedCodeError(Exception):
    """The graded code did not answer normally; ``kind`` says how."""

    kind = "exception"

    def __init__(self, message, detail=None):
        super().__init__(message)
        self.message = message
        self.detail = detail or {}


class NotImplementedYet(GradedCodeError):
    kind = "not_implemented"


class RaisedException(GradedCodeError):
    kind = "exception"


class ImportFailed(GradedCodeError):
    kind = "import"


class TimedOut(GradedCodeError):
    kind = "timeout"


class Crashed(GradedCodeError):
    kind = "crashed"


class TooMuchMemory(Crashed):
    """The graded code went past the worker's memory limit and was stopped."""


class TooMuchOutput(Crashed):
    """The graded code printed past the worker's output limit and was stopped."""


class _Hung(Exception):
    """No complete answer before the deadline."""


class _Died(Exception):
    """The worker's end of the pipe closed: the process ended (or graded code closed the pipe)."""


class _Unreachable(_Died):
    """The request could not even be sent: the worker was gone before this call's graded code ran."""


class _Garbled(Exception):
    """Bytes on the pipe that are not a well-formed message."""


class _Worker:
    """One worker process: its pipes, its output and stack-dump files, the modules it has loaded.

    It starts blank, waiting for its configuration (``configure`` says which
    scenario module and reference modules it gets), so that the next worker
    can boot while the current one works.
    """

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.scratch = sandbox._new_scratch()
        self.from_reference = None
        self.loaded = set()
        self.next_id = 0
        self.output = tempfile.TemporaryFile()  # its stdout and stderr, capped by RLIMIT_FSIZE
        self.dump = tempfile.TemporaryFile()  # faulthandler's tracebacks: where it crashed or hung
        request_read, self.request_fd = os.pipe()
        self.reply_fd, reply_write = os.pipe()
        self.buffer = b""
        self.info = tempfile.TemporaryFile() if sandbox.isolation == "os" else None  # bwrap's --info-fd
        self.inner_pid = None  # os isolation: the namespace's pid 1 (bwrap's init); the python is its child
        config = {
            "folder": sandbox.inside_folder,
            "modules": list(MODULES),
            "refused": sandbox._refused,
            "protected": [str(path) for path in PROTECTED_DIRS],
            "kit_root": str(KIT_ROOT),
            "run_dir": sandbox.workers_dir,
            "scratch": self.scratch,
            "request_fd": request_read,
            "reply_fd": reply_write,
            "dump_fd": self.dump.fileno(),
            "memory_mb": sandbox.memory_mb,
            "output_limit": sandbox.output_limit,
            "cpu_seconds": sandbox.cpu_seconds,
            "undumpable": sandbox.isolation == "user",
        }
        # a clean environment: no PYTHON* variable from outside, the same hash seed (so the same
        # submission gives the same answers every run), temporary files in the scratch folder
        env = {name: os.environ[name] for name in LOADER_VARIABLES if name in os.environ}
        env.update(PYTHONHASHSEED="0", TMPDIR=self.scratch)
        fds = (request_read, reply_write, self.dump.fileno())
        python = [*PYTHON_FLAGS, "-c", WORKER_BOOT, sandbox.worker_dir, str(request_read)]
        preexec, cwd = (_fixed_addresses if _personality else None), self.scratch
        if sandbox.isolation == "os":
            config.update(scratch=INSIDE_SCRATCH)  # the kit's and the run's places stay, as names to watch
            command = bwrap_command(sandbox, self.scratch, self.info.fileno(), env) + [sandbox.python] + python
            fds += (self.info.fileno(),)
            env, cwd = {}, sandbox.run_dir
        else:
            command = [sandbox.python] + python
            if sandbox.isolation == "user":
                preexec = _as_user(sandbox.worker_user)
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=self.output, stderr=self.output,
                pass_fds=fds, cwd=cwd, env=env,
                start_new_session=True,  # its own process group, for killpg
                preexec_fn=preexec,
            )
        except BaseException:
            os.close(self.request_fd)
            os.close(self.reply_fd)
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
        self.config = config  # sent as the first message (see Sandbox._worker): argv is readable by anyone
        os.set_blocking(self.request_fd, False)

    def configure(self, key):
        """The rest of the configuration: the worker's scenario modules and the reference modules it runs."""
        scenario_modules, from_reference = key
        self.from_reference = from_reference
        self.config.update(scenarios=list(scenario_modules), from_reference=list(from_reference),
                           reference_sources={name: self.sandbox._reference_source(name) for name in from_reference})

    # ---- talking ----

    def send(self, message, deadline):
        data = json.dumps(message).encode()
        view = memoryview(HEADER.pack(len(data)) + data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self.request_fd], [], remaining)[1]:
                raise _Hung()
            try:
                view = view[os.write(self.request_fd, view):]
            except BlockingIOError:
                continue
            except OSError:
                raise _Unreachable() from None

    def receive(self, deadline):
        """The next message as a dict; raises _Hung, _Died or _Garbled."""
        header = self._read(HEADER.size, deadline, partial_ok=True)
        (size,) = HEADER.unpack(header)
        if size > MAX_REPLY_BYTES:
            raise _Garbled(f"an answer of {size} bytes")
        body = self._read(size, deadline, partial_ok=False)
        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            raise _Garbled("an answer that is not JSON") from None
        if not isinstance(message, dict):
            raise _Garbled("an answer that is not an object")
        return message

    def _read(self, size, deadline, partial_ok):
        while len(self.buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.reply_fd], [], [], remaining)[0]:
                if self.buffer or not partial_ok:
                    raise _Garbled("an answer cut short")
                raise _Hung()
            chunk = os.read(self.reply_fd, 1 << 20)
            if not chunk:
                raise _Died()
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def stray_bytes(self):
        return bool(self.buffer) or bool(select.select([self.reply_fd], [], [], 0)[0])

    # ---- what it left behind ----

    def reset_files(self):
        for f in (self.output, self.dump):
            os.ftruncate(f.fileno(), 0)
            os.lseek(f.fileno(), 0, os.SEEK_SET)  # the offset is shared with the worker's descriptors

    def output_size(self):
        return os.fstat(self.output.fileno()).st_size

    def output_excerpt(self):
        return os.pread(self.output.fileno(), EXCERPT_BYTES, 0).decode("utf-8", "replace")

    def where(self):
        """Where faulthandler last saw the graded code: ``{file, line, function, code}`` or None."""
        text = os.pread(self.dump.fileno(), 64 * 1024, 0).decode("utf-8", "replace")
        prefix = self.sandbox.inside_folder + os.sep
        frames = []
        for match in DUMP_FRAME.finditer(text):  # most recent call first
            if match["file"].startswith(prefix):
                path, line = match["file"], int(match["line"])
                source = os.path.join(self.sandbox.graded_folder, path[len(prefix):])
                frames.append({"file": os.path.basename(path), "line": line, "function": match["function"],
                               "code": _source_line(source, line)})
        # "stack": every graded frame, so a caller can tell one endless loop met twice from two
        return {**frames[0], "stack": frames} if frames else None

    def dump_stack(self):
        """Ask a hung worker where it is (faulthandler on SIGUSR1), waiting briefly for the answer."""
        pid = self.python_pid()
        try:
            if pid is None:
                return
            os.kill(pid, signal.SIGUSR1)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STACK_DUMP_WAIT
        size = -1
        while time.monotonic() < deadline:
            now = os.fstat(self.dump.fileno()).st_size
            if now and now == size:
                return
            size = now
            time.sleep(0.02)

    # ---- ending ----

    def started(self):
        """After the greeting: under ``os`` isolation, learn the namespace's pid 1 from bwrap's --info-fd."""
        if self.info is None:
            return
        try:
            info = json.loads(os.pread(self.info.fileno(), 4096, 0))
            self.inner_pid = int(info["child-pid"])
        except (ValueError, KeyError, TypeError):
            raise _Garbled("no process information from bwrap") from None
        self.info.close()
        self.info = None

    def python_pid(self):
        """The pid (as this process sees it) of the python running graded code, or None."""
        if self.inner_pid is None:
            return self.process.pid if self.sandbox.isolation != "os" else None
        try:  # bwrap's init is pid 1 inside; the worker is its one child
            with open(f"/proc/{self.inner_pid}/task/{self.inner_pid}/children") as f:
                children = f.read().split()
        except OSError:
            return None
        return int(children[0]) if children and self._ours(self.inner_pid) else None

    def _ours(self, pid):
        """Whether ``pid`` is still bwrap's child (not a recycled pid): its parent is our bwrap process."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                return int(f.read().rsplit(")", 1)[1].split()[1]) == self.process.pid
        except (OSError, ValueError, IndexError):
            return False

    def alive(self):
        return self.process.poll() is None

    def wait(self, timeout):
        """The worker's exit status (``-N``: killed by signal N), or None if it is still running after ``timeout``."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        if self.sandbox.isolation == "os" and code > 128:
            code = 128 - code  # bwrap says "killed by signal N" as 128 + N
        return code

    def stop(self):
        """SIGKILL the worker's process group and reap it, within KILL_TIMEOUT; returns its exit code."""
        if self.process.poll() is None:
            # os: killing the namespace's pid 1 ends every process in it, whatever session it made
            if self.inner_pid is not None and self._ours(self.inner_pid):
                try:
                    os.kill(self.inner_pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        code = self.wait(KILL_TIMEOUT)
        for fd in (self.request_fd, self.reply_fd):
            if fd >= 0:
                os.close(fd)
        self.request_fd = self.reply_fd = -1
        if self.info is not None:
            self.info.close()
            self.info = None
        shutil.rmtree(self.scratch, ignore_errors=True)
        return code


class Sandbox:
    """Graded code for one submission folder, run in worker processes.

    ``call(scenario, modules=..., from_reference=..., **args)`` runs the
    scenario (``scenarios.py`` says which worker module holds it) with
    ``impl`` loading the submission's modules, except those in
    ``from_reference``, which come from ``reference/``. One worker is kept per
    (group of scenario modules, ``from_reference``) pair: a worker holds the
    scenarios of stages whose answers it does not hold
    (``scenarios.WORKERS``), and the reference never shares a process with
    graded code that could borrow it.

    ``isolation`` is the mode workers run under (``os``, ``user``,
    ``self-check``; by default ``isolation.choose()``: the environment's
    choice, else the strongest this machine gives). Under ``os`` and ``user``
    they grade a copy of the submission's module files, and
    ``graded_files`` holds its hashes.

    ``call_timeout`` defaults to ``$MICROGRAD_KIT_CALL_TIMEOUT`` or 5 s, and
    ``memory_mb`` (a worker's address space) to ``$MICROGRAD_KIT_MEMORY_MB``
    or 1024; an import gets ``import_timeout`` (by default the call timeout).
    """

    def __init__(self, folder, *, isolation=None, call_timeout=None, import_timeout=None,
                 start_timeout=10.0, memory_mb=None, output_limit=8 * 1024 * 1024, cpu_seconds=300):
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise NotADirectoryError(f"{folder} is not a folder")
        if call_timeout is None:
            call_timeout = _setting("MICROGRAD_KIT_CALL_TIMEOUT", DEFAULT_CALL_TIMEOUT)
        if memory_mb is None:
            memory_mb = int(_setting("MICROGRAD_KIT_MEMORY_MB", DEFAULT_MEMORY_MB))
        if isolation is None:  # $MICROGRAD_KIT_ISOLATION, else the strongest this machine gives
            isolation = isolation_modes.choose()
        if isolation not in IMPLEMENTED:
            raise ValueError(f"this sandbox cannot run workers under isolation {isolation!r}")
        self.isolation = isolation
        # where workers find the submission, and where the bytes they grade are (a copy, under os and user)
        self.inside_folder = INSIDE_SUBMISSION if isolation == "os" else str(self.folder)
        self.graded_folder = str(self.folder)
        self.graded_files = None  # os, user: {file name: sha256 or None} of the copy the workers graded
        self.python = sys.executable
        self.worker_dir = str(WORKER_DIR)
        self.worker_user = None
        self._refused = {}  # module -> why its file was not copied in (a link out of the folder, too large)
        self._reference_sources = {}
        self.call_timeout = call_timeout
        self.import_timeout = call_timeout if import_timeout is None else import_timeout
        self.start_timeout = start_timeout
        self.memory_mb = memory_mb
        self.output_limit = output_limit
        self.cpu_seconds = cpu_seconds
        self.flags = []  # [{"module", "reason"}]: what graded code was caught attempting
        self._flag_intake = Intake(self.flags)  # de-duplicated and capped: graded code chooses how many
        self.run_dir = None  # the run's folder: workers/ (each worker's scratch), worker/ and submission/ (copies)
        self.workers_dir = None
        self._workers = {}
        self._spare = None  # a blank worker, started ahead of need
        # a grade starts each group's worker once: no spare after the last (a replacement then boots on demand)
        self._groups_to_start = {group for group in scenarios.WORKERS if group != ("selftest",)}
        self._started = None  # user isolation: when the run began, in clock ticks since boot
        self._failed_modules = {}  # (from_reference, module) -> the exception to raise again

    def call(self, scenario, *, modules=(), from_reference=(), timeout=None, **args):
        reference = tuple(sorted(from_reference))
        try:
            key = (scenarios.worker_of(scenario), reference)
        except LookupError as error:
            raise RuntimeError(f"the grader asked for a scenario that does not exist: {error}") from None
        if set(modules) & set(reference):  # a worker never holds the answer to what it grades
            raise RuntimeError(f"the grader asked to grade {sorted(set(modules) & set(reference))} "
                               "on the reference's own copy")
        graded = list(modules)
        for module in graded:  # an import's fate is the same in every worker: charged once per grade
            if (reference, module) in self._failed_modules:
                raise self._failed_modules[(reference, module)]
        for module in graded:
            self._load(key, module)
        request = {"scenario": scenario, "args": args, "modules": list(modules)}
        reply = self._ask(key, request, self.call_timeout if timeout is None else timeout, graded)
        if reply["ok"]:
            return reply.get("result")
        error, kind = reply["error"], reply["kind"]
        text = f"{error['type']}: {error['message']}"
        if kind == "import":  # a module loaded lazily, inside the scenario
            raise self._remember_failure(key, reply["module"], ImportFailed(
                f"{reply['module']}.py could not be imported: {text}", error))
        if kind == "grader":
            raise RuntimeError(f"the grader's scenario {scenario!r} failed: {error['message']}")
        if kind == "not_implemented":
            raise NotImplementedYet(text, error)
        raise RaisedException(text, error)

    def _load(self, key, module):
        """Import one graded module in the worker for ``key``, once; a failure is remembered."""
        worker = self._workers.get(key)
        if worker is not None and module in worker.loaded and worker.alive():
            return
        try:
            reply = self._ask(key, {"load": module}, self.import_timeout, [module])
        except GradedCodeError as error:
            if isinstance(error, TimedOut):
                message = f"{module}.py did not finish importing within {self.import_timeout:g} s"
            else:  # the location goes in the detail, where the report shows it
                message = f"{module}.py could not be imported: it {error.detail.get('what', error.message)}"
            raise self._remember_failure(key, module, ImportFailed(message, error.detail)) from None
        if not reply["ok"]:
            error = reply["error"]
            raise self._remember_failure(key, module, ImportFailed(
                f"{module}.py could not be imported: {error['type']}: {error['message']}", error))
        self._workers[key].loaded.add(module)

    def _remember_failure(self, key, module, failure):
        self._failed_modules[(key[1], module)] = failure
        return failure

    def _ask(self, key, request, timeout, graded):
        """Send one request to the worker for ``key`` and return its validated reply.

        Any failure replaces the worker: a timeout, a death, a garbled answer,
        a memory or output overrun, or anything (a time-budget alarm, Ctrl-C)
        interrupting the exchange midway.
        """
        worker = self._worker(key)
        if worker.stray_bytes():  # written outside any call: whatever it is, start clean
            self._discard(key)
            worker = self._worker(key)
        request["id"] = worker.next_id
        worker.next_id += 1
        worker.reset_files()
        deadline = time.monotonic() + timeout
        try:
            try:
                worker.send(request, deadline)
            except _Unreachable:  # it died between calls (its request pipe closed, say): nothing ran yet
                self._discard(key)
                worker = self._worker(key)
                request["id"] = worker.next_id
                worker.next_id += 1
                worker.send(request, deadline)
            while True:
                message = worker.receive(deadline)
                if "flag" in message:
                    self._add_flag(message, graded)
                    continue
                reply = _validated(message, request["id"])
                break
        except _Hung:
            self._workers.pop(key, None)  # first: an alarm during what follows must not leave it in use
            try:
                worker.dump_stack()
            finally:
                worker.stop()
            where = worker.where()
            what = f"still running after {timeout:g} s"
            raise TimedOut(what + _where_text(where),
                           {"what": what, "where": where, "output": worker.output_excerpt()}) from None
        except _Died:
            self._workers.pop(key, None)
            try:
                error = self._death(worker)
            finally:
                worker.stop()
            raise error from None
        except _Garbled as garbled:
            self._discard(key)
            what = f"sent back a garbled answer ({garbled}): the channel to the grader was tampered with"
            raise Crashed(what, {"what": what, "output": worker.output_excerpt()}) from None
        except BaseException:
            self._discard(key)
            raise
        if not reply["ok"] and (reply["kind"] == "memory" or reply["error"]["type"] == "MemoryError"):
            self._discard(key)
            raise self._too_much_memory(reply["error"].get("where"), reply["error"])
        if not reply["ok"] and worker.output_size() >= self.output_limit:
            self._discard(key)
            raise self._too_much_output(worker, reply["error"].get("where"))
        return reply

    def _death(self, worker):
        """What ended a worker whose pipe closed, as an exception; the worker is stopped."""
        code = worker.wait(0.5)  # a process that ended closes its pipe a moment before it can be reaped
        if code is None or code == CHANNEL_BROKEN:  # graded code closed its end of the channel
            worker.stop()
            what = "closed the channel to the grader"
            return Crashed(what, {"what": what, "output": worker.output_excerpt()})
        if worker.output_size() >= self.output_limit or code == -signal.SIGXFSZ:
            return self._too_much_output(worker, worker.where())
        where = worker.where()
        output = worker.output_excerpt()
        if "MemoryError" in output or "Cannot allocate memory" in output:
            return self._too_much_memory(where, {"output": output})
        if code is not None and code < 0:
            what = SIGNAL_WORDS.get(-code) or f"was stopped by signal {signal.Signals(-code).name}"
        else:
            what = f"ended the process running it (exit status {code}: os._exit, or an exit at the C level)"
        return Crashed(what + _where_text(where), {"what": what, "where": where, "output": output})

    def _too_much_memory(self, where, detail):
        what = f"used more than {self.memory_mb} MB of memory and was stopped (runaway memory?)"
        return TooMuchMemory(what + _where_text(where), {**detail, "what": what, "where": where})

    def _too_much_output(self, worker, where):
        excerpt = worker.output_excerpt()
        shown = excerpt[:300].rstrip() + (" [...]" if len(excerpt) > 300 else "")
        what = f"printed more than {self.output_limit / (1024 * 1024):g} MB and was stopped (runaway output)"
        return TooMuchOutput(f"{what}{_where_text(where)}; it began: {shown!r}",
                             {"what": what, "where": where, "output": excerpt})

    def _add_flag(self, message, graded):
        flag = message.get("flag")
        if not isinstance(flag, dict) or not isinstance(flag.get("reason"), str):
            raise _Garbled("a malformed flag")
        module = flag.get("module")
        modules = [module] if module in MODULES else graded  # unattributable: charge the modules running
        for module in modules:
            self._flag_intake.add(module, f"{module}.py {flag['reason'][:MAX_REASON]}")

    def _worker(self, key):
        worker = self._workers.get(key)
        if worker is not None and worker.alive():
            return worker
        if worker is not None:
            self._discard(key)
        if self.run_dir is None:
            self._prepare_run()
        if self.isolation == "user":
            isolation_modes.remove_user_files(self.worker_user)
        # An alarm or Ctrl-C landing inside Popen, after the fork, would lose the child: hold them off
        # until the worker is in hand, and stop it if one then arrives.
        worker, mask = None, _hold_interrupts()
        try:
            worker, self._spare = self._spare, None
            if worker is not None and not worker.alive():
                worker.stop()
                worker = None
            if worker is None:
                worker = _Worker(self)
            self._groups_to_start.discard(key[0])
            if self._groups_to_start:  # boots (a namespace, an interpreter) while this one works
                self._spare = _Worker(self)
            _release_interrupts(mask)
            worker.configure(key)
            deadline = time.monotonic() + self.start_timeout
            worker.send(worker.config, deadline)
            del worker.config
            ready = worker.receive(deadline)
            if ready != {"ready": True}:
                raise _Garbled("no greeting")
            worker.started()
        except (_Hung, _Died, _Garbled) as error:
            worker.stop()
            raise RuntimeError(f"the grader could not start a process to run graded code "
                               f"({type(error).__name__.strip('_').lower()}): {worker.output_excerpt()[-1000:]}"
                               ) from None
        except BaseException:
            if worker is not None:
                worker.stop()
            raise
        finally:
            _release_interrupts(mask)
        self._workers[key] = worker
        return worker

    def _discard(self, key):
        worker = self._workers.pop(key, None)
        return worker.stop() if worker is not None else None

    def close(self):
        for key in list(self._workers):
            self._discard(key)
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.stop()
        if self.isolation == "user" and self.run_dir is not None:
            isolation_modes.end_user_processes(self.worker_user, self._started)  # a child that left its session too
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    # ---- the run folder: what workers see under os and user isolation ----

    def _prepare_run(self):
        """The run folder; under os and user isolation, with the worker files and the submission copied in.

        Workers then need nothing of the kit: under ``os`` they see this copy
        alone, under ``user`` the kit is unreadable to them.
        """
        _sweep_stale_runs()
        run_dir = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-")
        self.workers_dir = os.path.join(run_dir, "workers")  # each worker's scratch folder, off limits to the others
        os.mkdir(self.workers_dir, 0o711)
        if self.isolation == "self-check":
            self.run_dir = run_dir
            return
        try:
            if self.isolation == "user":
                self.worker_user = isolation_modes.worker_user()
                if self.worker_user is None:
                    raise isolation_modes.Unavailable(
                        "isolation 'user': there is no unprivileged user to run workers as")
                self.python = isolation_modes.prepare_user_mode(self.worker_user)
                self._started = isolation_modes.boot_ticks() - 1  # (a tick early: rounding)
                isolation_modes.remove_user_files(self.worker_user)  # what an earlier run left
                os.chmod(run_dir, 0o711)  # the workers may pass through, not list it
            else:
                self.python = isolation_modes.real_python()
            worker_dir = os.path.join(run_dir, "worker")
            os.mkdir(worker_dir, 0o755)
            os.mkdir(os.path.join(worker_dir, "__pycache__"), 0o755)
            for name, (source, bytecode) in worker_files().items():  # compiled here once: no worker compiles
                for path, data in ((name, source), (_pyc_name(name), bytecode)):
                    target = os.path.join(worker_dir, path)
                    with open(target, "wb") as f:
                        f.write(data)
                    os.chmod(target, 0o644)
            self.worker_dir = worker_dir if self.isolation == "user" else INSIDE_WORKER
            self.graded_folder = os.path.join(run_dir, "submission")
            if self.isolation == "user":
                self.inside_folder = self.graded_folder
            self.graded_files, refused = _copy_submission(self.folder, self.graded_folder)
            for module, (why, flag) in refused.items():
                self._refused[module] = why
                if flag:
                    self.flags.append({"module": module, "reason": f"{module}.py {flag}"})
        except BaseException:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        self.run_dir = run_dir

    def _new_scratch(self):
        """A worker's own empty folder, writable by the worker alone."""
        scratch = tempfile.mkdtemp(prefix="worker-", dir=self.workers_dir)
        if self.isolation == "user":
            os.chown(scratch, *self.worker_user)
        return scratch

    def _reference_source(self, name):
        """``(path shown, source)`` of a reference module a worker runs instead of the submission's."""
        if name not in self._reference_sources:
            path = REFERENCE_DIR / f"{name}.py"
            self._reference_sources[name] = (str(path), path.read_text(encoding="utf-8"))
        return self._reference_sources[name]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


RUN_PREFIX = "micrograd-kit-run-"  # then the grading process's pid


def worker_files():
    """``{file name: (source, bytecode)}`` of the worker's modules, compiled once per grading process.

    Every worker imports them all; compiling them in each would cost it more
    than starting Python. The bytecode is a checked-hash ``.pyc`` (PEP 552):
    valid for its source's bytes whatever the copy's time, and ignored (the
    worker compiles after all) by an interpreter of another version.
    """
    stamp = tuple((path.name, path.stat().st_mtime_ns) for path in sorted(WORKER_DIR.glob("*.py")))
    return _compiled_worker_files(stamp)


@functools.lru_cache(maxsize=1)
def _compiled_worker_files(stamp):
    files = {}
    for name, _ in stamp:
        source = (WORKER_DIR / name).read_bytes()
        code = compile(source, str(WORKER_DIR / name), "exec", dont_inherit=True)
        checked_hash = (0b11).to_bytes(4, "little")
        files[name] = (source, importlib.util.MAGIC_NUMBER + checked_hash + importlib.util.source_hash(source)
                       + marshal.dumps(code))
    return files


def _pyc_name(name):
    return os.path.join("__pycache__", f"{name.removesuffix('.py')}.{sys.implementation.cache_tag}.pyc")


def bwrap_command(sandbox, scratch, info_fd, env):
    """bwrap's arguments for one worker under ``os`` isolation (see ``grader/README.md``).

    It sees the interpreter and the system libraries read-only, its own
    files at /worker, the submission's copy at /submission, its scratch at
    /scratch, and private, bounded /tmp and /dev/shm; nothing of the kit,
    the network or other processes. Everything it starts dies with it.
    """
    command = [isolation_modes.bwrap(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--uid", "65534", "--gid", "65534", "--hostname", "worker", "--clearenv"]
    for name, value in env.items():
        command += ["--setenv", name, INSIDE_SCRATCH if name == "TMPDIR" else value]
    command += isolation_modes.system_mounts()
    command += ["--ro-bind", os.path.join(sandbox.run_dir, "worker"), INSIDE_WORKER,
                "--ro-bind", sandbox.graded_folder, INSIDE_SUBMISSION,
                "--bind", scratch, INSIDE_SCRATCH,
                "--proc", "/proc", "--dev", "/dev",
                "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
                "--size", str(TMPFS_BYTES), "--tmpfs", "/dev/shm",
                "--chdir", INSIDE_SCRATCH, "--info-fd", str(info_fd), "--"]
    return command


def _as_user(user):
    """``preexec_fn`` for ``user`` isolation: fixed addresses, then the unprivileged user, no groups."""
    uid, gid = user

    def become():
        if _personality:
            _personality(ADDR_NO_RANDOMIZE)
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return become


def _copy_submission(folder, copy):
    """Copy the submission's module files into ``copy``; ``(hashes, refused)``.

    ``hashes`` maps each file name to the sha256 of the bytes copied (None
    for a missing file): what the workers grade. ``refused`` maps a module to
    ``(why, flag)`` for a file not copied: a link out of the folder, a
    hard link to the reference, something not a file, or too large; ``flag``
    is the honesty flag's reason when the file is the reference's or the grader's.
    """
    import hashlib

    os.mkdir(copy, 0o755)
    real_folder = os.path.realpath(folder)
    protected = {}
    for kit_dir in (REFERENCE_DIR, GRADER_DIR, WORKER_DIR):
        for path in kit_dir.glob("*.py"):
            st = path.stat()
            protected[(st.st_dev, st.st_ino)] = path
    hashes, refused = {}, {}
    for name in (*MODULES, "__init__"):
        source = os.path.join(folder, f"{name}.py")
        real = os.path.realpath(source)
        try:
            st = os.stat(real)
        except OSError:
            hashes[f"{name}.py"] = None
            continue
        why = flag = None
        kit_file = protected.get((st.st_dev, st.st_ino))
        if kit_file is not None and os.path.realpath(kit_file) == real:
            kit_file = None  # grading reference/ itself (--impl reference): its own files
        if os.path.commonpath([real, real_folder]) != real_folder or kit_file is not None:
            why = f"{name}.py leads outside the submission folder"
            shown = os.path.relpath(kit_file or real, KIT_ROOT)
            if kit_file is not None or any(Path(real).is_relative_to(p) for p in PROTECTED_DIRS):
                flag = f"tried to read {shown}"
        elif not os.path.isfile(real):
            why = f"{name}.py is not a regular file"
        elif st.st_size > MAX_MODULE_BYTES:
            why = f"{name}.py is larger than {MAX_MODULE_BYTES // (1024 * 1024)} MB"
        if why is None:
            with open(real, "rb") as f:
                data = f.read(MAX_MODULE_BYTES + 1)
            if len(data) > MAX_MODULE_BYTES:
                why = f"{name}.py is larger than {MAX_MODULE_BYTES // (1024 * 1024)} MB"
        if why is not None:
            hashes[f"{name}.py"] = None
            if name in MODULES:
                refused[name] = (f"the grader does not let graded code read {name}.py: {why}", flag)
            continue
        hashes[f"{name}.py"] = hashlib.sha256(data).hexdigest()
        target = os.path.join(copy, f"{name}.py")
        with open(target, "xb") as f:
            f.write(data)
        os.chmod(target, 0o644)
    return hashes, refused


def _sweep_stale_runs():
    """Remove the run folders of grading processes that were killed before they could clean up."""
    for path in Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}*-*"):
        pid = path.name[len(RUN_PREFIX):].partition("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # alive, someone else's
            pass


INTERRUPTS = {signal.SIGINT, signal.SIGALRM, signal.SIGTERM}


def _hold_interrupts():
    """Block the signals that raise into the grading process (its time budget, Ctrl-C); the old mask."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)


def _release_interrupts(mask):
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _validated(message, request_id):
    """The reply, if it is exactly the shape a worker sends for this request; otherwise _Garbled."""
    ok = message.get("ok")
    if message.get("id") != request_id or type(message.get("id")) is not int or type(ok) is not bool:
        raise _Garbled("an answer to another question")
    allowed = {"id", "ok", "result"} if ok else {"id", "ok", "kind", "error", "module"}
    if set(message) - allowed:
        raise _Garbled("an answer with unexpected fields")
    if ok:
        return message
    error = message.get("error")
    if message.get("kind") not in ERROR_KINDS or not isinstance(error, dict):
        raise _Garbled("an error of unknown kind")
    if not all(isinstance(error.get(k), str) for k in ("type", "message", "traceback")):
        raise _Garbled("an error without a description")
    where = error.get("where")
    if where is not None and not (isinstance(where, dict) and isinstance(where.get("file"), str)
                                  and type(where.get("line")) in (int, type(None))):
        raise _Garbled("an error with a malformed location")
    if message["kind"] == "import" and message.get("module") not in MODULES:
        raise _Garbled("an import error for an unknown module")
    return message


def _setting(name, default):
    """A positive number from the environment, or ``default``; anything else is a usage error, said plainly."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a positive number, not {text!r}")
    return value


def _where_text(where):
    if not where:
        return ""
    text = f" (in {where['file']}, line {where.get('line')}"
    if where.get("function") and where["function"] != "<module>":
        text += f", in {where['function']}"
    if where.get("code"):
        text += f": {where['code']}"
    return text + ")"


def _source_line(path, line):
    """One line of a graded file, read as text (never run), for messages."""
    try:
        with open(path, "rb") as f:
            lines = f.read(1 << 20).decode("utf-8", "replace").splitlines()  # a bounded read, whatever the file
    except OSError:
        return None
    if not 0 < line <= len(lines):
        return None
    return lines[line - 1].strip()[:200] or None

