import os

_escaped = []


def _try(name, attempt):
    try:
        attempt()
    except Exception:  # noqa: BLE001 -- refused: as it should be
        return
    _escaped.append(name)


def _subprocess():
    import subprocess
    subprocess.run(["cat", "{KIT}/reference/engine.py"], check=True)


def _fork():
    if os.fork() == 0:
        os._exit(0)


def _network():
    import socket
    socket.create_connection(("127.0.0.1", 9), timeout=1)


def _ctypes():
    import ctypes
    ctypes.CDLL(None)


def _kill_parent():
    os.kill(os.getppid(), 0)


_honest_backward = Value.backward


def _backward_after_escaping(self):
    for name, attempt in (("os.system", lambda: os.system("true")), ("subprocess", _subprocess),
                          ("fork", _fork), ("posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {})),
                          ("execv", lambda: os.execv("/bin/true", ["true"])), ("socket", _network),
                          ("ctypes", _ctypes), ("kill", _kill_parent),
                          ("rlimit", lambda: __import__("resource").setrlimit(0, (-1, -1)))):
        _try(name, attempt)
    if _escaped:
        raise RuntimeError("got through: " + ", ".join(_escaped))
    return _honest_backward(self)


Value.backward = _backward_after_escaping
