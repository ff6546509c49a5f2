"""The process that runs graded code: it loads a submission and runs scenarios on it.

Imported by ``sandbox.WORKER_BOOT`` (``python -s -S -P -B -u -X utf8 -c BOOT
DIR REQUEST_FD``, with a clean environment, under the isolation of
``grader/isolation.py``) and spoken to over two pipes (length-prefixed JSON).
The first message is its configuration, with the reference sources it may run
(never read from the kit: under ``os`` and ``user`` isolation the kit is out
of its sight). Before any graded code loads it arms ``guard`` (limits and an
audit hook) and drops its own modules from ``sys.path`` and ``sys.modules``.
Whatever the graded code does here, it cannot reach the process that scores
it and writes the report: all it can do is answer a question, wrongly,
slowly, or not at all.

Requests: ``{"id", "load": module}`` imports one submission module (so an
import that hangs or kills the process is charged to that module alone), and
``{"id", "scenario", "args", "modules"}`` runs ``<scenario>(impl, **args)``
from the one scenario module this worker was started for (``stage_N.py``). Each gets one reply ``{"id", "ok", "result"}`` or ``{"id", "ok":
false, "kind", "error"[, "module"]}``; the guard may send ``{"flag": ...}``
messages before it.
"""

import importlib.util
import json
import linecache
import os
import signal
import struct
import sys
import types

HEADER = struct.Struct("!Q")
PACKAGE = "submission"
CHANNEL_BROKEN = 70  # the exit status of a worker whose pipes graded code closed or broke


def send(fd, message):
    data = json.dumps(message, allow_nan=True, default=_opaque).encode("utf-8", "backslashreplace")
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _opaque(value):
    """What a non-JSON object in an answer becomes: its class name, found without running its code."""
    return f"<{type.__dict__['__qualname__'].__get__(type(value))} object>"


def receive(fd):
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    body = _read_exactly(fd, size)
    return None if body is None else json.loads(body)


def _read_exactly(fd, size):
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class ModuleLoadError(Exception):
    """A submission module could not be imported; carries which one and why."""

    def __init__(self, module, error):
        super().__init__(module)
        self.module = module
        self.error = error


class _Loader:
    """Imports ``submission.<name>`` from its source, never from a ``__pycache__`` file.

    A stale or planted ``.pyc`` would otherwise run instead of the graded
    ``.py``. Modules in ``reference_sources`` run the reference's source,
    read before graded code loaded (stage 4 runs the student's ``nn.py`` on
    the reference engine, so it is graded on its own).
    """

    def __init__(self, folder, modules, reference_sources, refused):
        self.folder = folder
        self.modules = frozenset(modules)
        self.reference_sources = reference_sources
        self.refused = refused  # module -> why the grader did not copy its file in (os, user isolation)

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in self.modules:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__.rpartition(".")[2]
        if name in self.reference_sources:
            path, source = self.reference_sources[name]
        elif name in self.refused:
            raise PermissionError(self.refused[name])
        else:
            path = os.path.join(self.folder, name + ".py")
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{name}.py is missing from the submission")
            with open(path, "rb") as f:
                source = importlib.util.decode_source(f.read())
        module.__file__ = path
        exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)


class Implementation:
    """A submission folder loaded as the package ``submission``, module by module.

    The package's ``__init__.py`` is never run, so a broken ``nn.py`` does not
    stop ``engine.py`` from being graded; modules import each other
    relatively, through ``_Loader``.
    """

    def __init__(self, folder, modules, reference_sources, refused):
        package = types.ModuleType(PACKAGE)
        package.__path__ = []
        package.__package__ = PACKAGE
        sys.modules[PACKAGE] = package
        sys.meta_path.insert(0, _Loader(folder, modules, reference_sources, refused))
        self.folder = folder
        self.failed = {}

    def module(self, name):
        if name in self.failed:
            raise self.failed[name]
        try:
            return importlib.import_module(f"{PACKAGE}.{name}")
        except BaseException as error:  # SyntaxError, SystemExit, anything raised at import
            failure = ModuleLoadError(name, describe(error, self.folder))
            self.failed[name] = failure
            raise failure from None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.module(name)


def describe(error, folder):
    """A plain description of an exception, showing the submission's frames only."""
    prefix = folder.rstrip("/") + "/"
    frames, tb = [], error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(prefix):
            frames.append((filename, tb.tb_lineno, tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    if not frames and isinstance(error, SyntaxError) and str(error.filename or "").startswith(prefix):
        frames.append((error.filename, error.lineno, None))
    lines = []
    for filename, line, function in frames:
        code = linecache.getline(filename, line or 0).strip() or None
        lines.append(f'  File "{os.path.basename(filename)}", line {line}, in {function or "<module>"}\n'
                     + (f"    {code}\n" if code else ""))
    where = None
    if frames:
        filename, line, function = frames[-1]
        where = {"file": os.path.basename(filename), "line": line, "function": function,
                 "code": linecache.getline(filename, line or 0).strip() or None}
        if isinstance(error, SyntaxError):
            where["code"] = (error.text or "").strip() or None
    try:
        message = str(error)
    except BaseException:
        message = "(the exception's message could not be shown)"
    kind = type(error).__name__
    return {
        "type": kind,
        "message": message[:2000],
        "where": where,
        "traceback": ("Traceback (your code only):\n" + "".join(lines) if lines else "")
                     + f"{kind}: {message[:2000]}",
    }


def _answer(request, impl, scenarios):
    """The reply to one request; graded code runs here."""
    reply = {"id": request["id"]}
    try:
        if "load" in request:
            impl.module(request["load"])
            result = None
        else:
            function = scenarios.get(request["scenario"])
            if function is None:
                reply.update(ok=False, kind="grader", error={
                    "type": "LookupError", "message": f"no scenario named {request['scenario']!r}",
                    "where": None, "traceback": ""})
                return reply
            for name in request.get("modules", ()):
                impl.module(name)
            result = function(impl, **request.get("args", {}))
        reply.update(ok=True, result=result)
    except ModuleLoadError as error:
        reply.update(ok=False, kind="import", module=error.module, error=error.error)
    except BaseException as error:  # the graded code raised: report it, keep serving
        kind = ("memory" if isinstance(error, MemoryError)
                else "not_implemented" if isinstance(error, NotImplementedError) else "exception")
        reply.update(ok=False, kind=kind, error=describe(error, impl.folder))
    return reply


def _load_scenarios(worker_dir, module_names):
    """The scenario functions of this worker's modules, found before graded code could replace any."""
    import importlib

    sys.path.insert(0, worker_dir)
    functions = {}
    for module_name in module_names:
        module = importlib.import_module(module_name)
        functions.update({name: value for name, value in vars(module).items()
                          if isinstance(value, types.FunctionType) and value.__module__ == module_name
                          and not name.startswith("_")})
    return functions


def _hide_grader(grader_dir, reference_sources):
    """Take the grader out of graded code's way: off ``sys.path``, out of ``sys.modules``.

    The sources of what stays loaded go into ``linecache`` first, so that a
    warning or a traceback never needs to open a file graded code may not.
    """
    prefix = grader_dir.rstrip("/") + "/"
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None) or ""
        if filename.startswith(prefix):
            with open(filename) as f:
                lines = f.read().splitlines(keepends=True)
            linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)
            del sys.modules[name]
    for path, source in reference_sources.values():
        lines = source.splitlines(keepends=True)
        linecache.cache[path] = (len(source), None, lines, path)
    sys.path[:] = [p for p in sys.path if p != grader_dir]


def _undumpable():
    """No other process of the same user may read this one's memory (``/proc/PID/mem``, ptrace).

    Under ``user`` isolation every worker runs as the same unprivileged user,
    and a stage 4 worker holds the reference engine. ctypes leaves
    ``sys.modules`` afterwards, so graded code importing it meets the guard.
    """
    import ctypes

    PR_SET_DUMPABLE = 4
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")
    for name in [name for name in sys.modules if name == "ctypes" or name.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]


def main():
    signal.pthread_sigmask(signal.SIG_SETMASK, ())  # the grading process held some off while starting us
    request_fd = int(sys.argv[2])
    config = receive(request_fd)  # not in argv, which any process of the same machine can read
    if config is None:
        return
    reply_fd = config["reply_fd"]
    grader_dir = os.path.dirname(os.path.abspath(__file__))
    reference_sources = {name: tuple(entry) for name, entry in config.pop("reference_sources").items()}
    if config.get("undumpable"):
        _undumpable()
    scenarios = _load_scenarios(grader_dir, config["scenarios"])
    import guard

    _hide_grader(grader_dir, reference_sources)
    guard.arm(config, HEADER.pack)
    del guard
    impl = Implementation(config["folder"], config["modules"], reference_sources, config.get("refused", {}))
    send(reply_fd, {"ready": True})
    while True:
        try:
            request = receive(request_fd)
        except OSError:
            os._exit(CHANNEL_BROKEN)
        if request is None:
            return
        reply = _answer(request, impl, scenarios)
        try:
            send(reply_fd, reply)
        except OSError:
            os._exit(CHANNEL_BROKEN)
