"""The process that runs graded code: it loads a submission and runs scenarios on it.

Started by ``sandbox.py`` as ``python -I -S worker.py CONFIG`` and spoken to
over two pipes (length-prefixed JSON). It imports nothing from the grader
except ``scenarios`` (plain standard-library code), so whatever the graded
code does here, it cannot reach the process that scores it and writes the
report: all it can do is answer a question, wrongly, slowly, or not at all.
"""

import importlib.util
import json
import os
import struct
import sys
import traceback
import types

HEADER = struct.Struct("!Q")


def send(fd, message):
    data = json.dumps(message, allow_nan=True, default=repr).encode()
    os.write(fd, HEADER.pack(len(data)))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def receive(fd):
    header = _read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    return json.loads(_read_exactly(fd, size))


def _read_exactly(fd, size):
    chunks, left = [], size
    while left:
        chunk = os.read(fd, left)
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


class Implementation:
    """A submission folder loaded as a package, module by module, under its own name.

    The package's ``__init__.py`` is never run, so a broken ``nn.py`` does not
    stop ``engine.py`` from being graded. Modules named in ``from_reference``
    come from the reference instead (stage 4 runs the student's ``nn.py`` on
    the reference engine, so it is graded on its own).
    """

    def __init__(self, folder, reference_sources, package="submission"):
        self.package = types.ModuleType(package)
        self.package.__path__ = [folder]
        self.package.__package__ = package
        sys.modules[package] = self.package
        self.folder = folder
        self.reference_sources = reference_sources  # module name -> (path, source), read before any graded code runs
        self.failed = {}

    def module(self, name):
        if name in self.failed:
            raise self.failed[name]
        qualified = f"{self.package.__name__}.{name}"
        if qualified in sys.modules:
            return sys.modules[qualified]
        try:
            if name in self.reference_sources:
                path, source = self.reference_sources[name]
                module = types.ModuleType(qualified)
                module.__package__ = self.package.__name__
                module.__file__ = path
                sys.modules[qualified] = module
                exec(compile(source, path, "exec"), module.__dict__)
            else:
                path = os.path.join(self.folder, name + ".py")
                if not os.path.exists(path):
                    raise FileNotFoundError(f"{name}.py is missing from the submission")
                spec = importlib.util.spec_from_file_location(qualified, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[qualified] = module
                spec.loader.exec_module(module)
            setattr(self.package, name, module)
            return module
        except BaseException as error:  # SyntaxError, SystemExit, anything raised at import
            sys.modules.pop(qualified, None)
            failure = ModuleLoadError(name, describe(error))
            self.failed[name] = failure
            raise failure from None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.module(name)


def describe(error):
    """A plain description of an exception, with the submission's frames only."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/grader/" not in f.filename]
    where = None
    if frames:
        last = frames[-1]
        where = {"file": os.path.basename(last.filename), "line": last.lineno, "function": last.name,
                 "code": last.line}
    elif isinstance(error, SyntaxError):
        where = {"file": os.path.basename(error.filename or "?"), "line": error.lineno,
                 "function": None, "code": (error.text or "").strip()}
    try:
        message = str(error)
    except BaseException:
        message = "(the exception's message could not be shown)"
    return {
        "type": type(error).__name__,
        "message": message[:2000],
        "where": where,
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__))[-8000:],
    }


def main():
    config = json.loads(sys.argv[1])
    request_fd, reply_fd = config["request_fd"], config["reply_fd"]
    reference_sources = {}
    for name in config.get("from_reference", ()):
        path = os.path.join(config["reference"], name + ".py")
        with open(path) as f:
            reference_sources[name] = (path, f.read())
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves it out
    import scenarios

    guard = config.get("guard")
    if guard:
        import guard as guard_module
        guard_module.arm(config)
    impl = Implementation(config["folder"], reference_sources, config.get("package", "submission"))
    send(reply_fd, {"ready": True})
    while True:
        request = receive(request_fd)
        if request is None:
            return
        reply = {"id": request["id"]}
        try:
            for name in request.get("modules", ()):
                impl.module(name)
            function = getattr(scenarios, request["scenario"])
            reply["result"] = function(impl, **request.get("args", {}))
            reply["ok"] = True
        except ModuleLoadError as error:
            reply.update(ok=False, kind="import", module=error.module, error=error.error)
        except BaseException as error:  # the graded code raised: report it, keep serving
            kind = "not_implemented" if isinstance(error, NotImplementedError) else "exception"
            reply.update(ok=False, kind=kind, error=describe(error))
        send(reply_fd, reply)


if __name__ == "__main__":
    main()
