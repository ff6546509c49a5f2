"""Run graded code in worker processes and get plain answers back.

The grader's checks never touch a submission's objects: they ask a worker
(``worker.py``, a separate process) to run a named scenario from
``scenarios.py`` and get JSON back. A worker that hangs is killed at the
call's deadline, one that dies is replaced for the next call, and either way
the check that asked gets an exception saying what happened.
"""

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .worker import HEADER

GRADER_DIR = Path(__file__).resolve().parent
KIT_ROOT = GRADER_DIR.parent
REFERENCE_DIR = KIT_ROOT / "reference"
MAX_REPLY_BYTES = 64 * 1024 * 1024


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


class _Worker:
    """One worker process and the two pipes to it."""

    def __init__(self, folder, from_reference, memory_mb, output_limit):
        request_read, self.request_fd = os.pipe()
        self.reply_fd, reply_write = os.pipe()
        self.output = tempfile.TemporaryFile()
        config = {
            "folder": str(folder),
            "reference": str(REFERENCE_DIR),
            "from_reference": list(from_reference),
            "request_fd": request_read,
            "reply_fd": reply_write,
            "memory_mb": memory_mb,
            "output_limit": output_limit,
            "guard": (GRADER_DIR / "guard.py").exists(),
            "protected": [str(REFERENCE_DIR), str(GRADER_DIR)],
        }
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(GRADER_DIR / "worker.py"), json.dumps(config)],
            stdin=subprocess.DEVNULL, stdout=self.output, stderr=self.output,
            pass_fds=(request_read, reply_write), cwd=tempfile.gettempdir(),
            start_new_session=True,
        )
        os.close(request_read)
        os.close(reply_write)
        self.next_id = 0

    def ask(self, message, timeout):
        """Send one request and wait for its reply, at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        data = json.dumps(message).encode()
        try:
            os.write(self.request_fd, HEADER.pack(len(data)) + data)
        except OSError:
            raise self._died() from None
        header = self._read(HEADER.size, deadline)
        (size,) = HEADER.unpack(header)
        if size > MAX_REPLY_BYTES:
            self.kill()
            raise Crashed("the graded code sent back an absurdly large answer")
        reply = self._read(size, deadline)
        try:
            return json.loads(reply)
        except ValueError:
            self.kill()
            raise Crashed("the graded code garbled the grader's channel") from None

    def _read(self, size, deadline):
        chunks, left = [], size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.reply_fd], [], [], remaining)[0]:
                self.kill()
                raise TimedOut("timed out")
            chunk = os.read(self.reply_fd, min(left, 1 << 20))
            if not chunk:
                raise self._died()
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _died(self):
        code = self.kill()
        how = f"killed by signal {-code}" if code and code < 0 else f"exit status {code}"
        return Crashed(f"the process running your code ended ({how})", {"output": self.output_excerpt()})

    def output_excerpt(self, limit=2000):
        self.output.seek(0)
        return self.output.read(limit).decode(errors="replace")

    def alive(self):
        return self.process.poll() is None

    def kill(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        code = self.process.wait()
        for fd in (self.request_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.request_fd = self.reply_fd = -1
        return code


class Sandbox:
    """Graded code for one submission folder, run in worker processes.

    ``call(scenario, modules=..., from_reference=..., **args)`` runs
    ``scenarios.<scenario>(impl, **args)`` in a worker whose ``impl`` loads
    the submission's modules, except those in ``from_reference``, which come
    from ``reference/``. One worker is kept per ``from_reference`` set, so the
    reference never shares a process with graded code that could borrow it.
    """

    def __init__(self, folder, *, call_timeout=5.0, start_timeout=10.0, memory_mb=1024,
                 output_limit=8 * 1024 * 1024):
        self.folder = Path(folder).resolve()
        self.call_timeout = call_timeout
        self.start_timeout = start_timeout
        self.memory_mb = memory_mb
        self.output_limit = output_limit
        self._workers = {}
        self._failed_modules = {}  # (from_reference, module) -> the exception to raise again

    def call(self, scenario, *, modules=(), from_reference=(), timeout=None, **args):
        key = tuple(sorted(from_reference))
        for module in modules:
            if (key, module) in self._failed_modules:
                raise self._failed_modules[(key, module)]
        worker = self._worker(key)
        message = {"id": worker.next_id, "scenario": scenario, "args": args, "modules": list(modules)}
        worker.next_id += 1
        try:
            reply = worker.ask(message, self.call_timeout if timeout is None else timeout)
        except TimedOut:
            del self._workers[key]
            raise TimedOut(f"did not finish within {timeout or self.call_timeout:g} s") from None
        except Crashed:
            del self._workers[key]
            raise
        if reply.get("ok"):
            return reply.get("result")
        error = reply.get("error") or {}
        text = f"{error.get('type', 'Error')}: {error.get('message', '')}"
        if reply.get("kind") == "import":
            failure = ImportFailed(f"{reply.get('module')}.py could not be imported: {text}", error)
            self._failed_modules[(key, reply.get("module"))] = failure
            raise failure
        if reply.get("kind") == "not_implemented":
            raise NotImplementedYet(text, error)
        raise RaisedException(text, error)

    def _worker(self, key):
        worker = self._workers.get(key)
        if worker is not None and worker.alive():
            return worker
        worker = _Worker(self.folder, key, self.memory_mb, self.output_limit)
        try:
            worker.ask_ready = worker._read(HEADER.size, time.monotonic() + self.start_timeout)
            (size,) = HEADER.unpack(worker.ask_ready)
            worker._read(size, time.monotonic() + self.start_timeout)
        except (TimedOut, Crashed) as error:
            raise Crashed(f"the process for your code could not start: {error.message}",
                          {"output": worker.output_excerpt()}) from None
        self._workers[key] = worker
        return worker

    def close(self):
        for worker in self._workers.values():
            worker.kill()
        self._workers.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
