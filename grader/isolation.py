"""How graded code is walled off from the grader, the answers and the rest of the machine.

Three modes, strongest first; a grade records the one it ran under:

- ``os``: every worker runs in bubblewrap's namespaces (``bwrap``): it sees the
  interpreter, its own files and its copy of the submission, nothing else.
- ``user``: where namespaces cannot be made (some containers) but the grader
  runs as root, workers run as an unprivileged user that cannot read the kit.
- ``self-check``: neither is possible (a laptop, macOS, no bwrap): the
  in-process guard only. Good for a student's own feedback; official grading
  refuses it unless the instructor explicitly allows it.

``choose()`` picks the strongest mode this machine gives (or checks the one
asked for, by argument or ``$MICROGRAD_KIT_ISOLATION``).
"""

import functools
import os
import shutil
import subprocess

MODES = ("os", "user", "self-check")
CHOICES = ("auto",) + MODES
ENV = "MICROGRAD_KIT_ISOLATION"
WORKER_USER_ENV = "MICROGRAD_KIT_WORKER_USER"  # the unprivileged user of ``user`` mode (default: nobody)
IMPLEMENTED = ("self-check",)  # the modes the sandbox can run workers under


class Unavailable(Exception):
    """The isolation asked for cannot be had here; the message says why and what to do."""


def choose(requested=None):
    """The isolation mode to grade under: ``requested`` (or ``$MICROGRAD_KIT_ISOLATION``), else the strongest."""
    requested = (requested or os.environ.get(ENV) or "auto").strip()
    if requested not in CHOICES:
        raise Unavailable(f"unknown isolation {requested!r}: choose one of {', '.join(CHOICES)}")
    if requested == "auto":
        return next(mode for mode in MODES if mode in IMPLEMENTED and available(mode)[0])
    if requested not in IMPLEMENTED:
        raise Unavailable(f"isolation {requested!r} is not supported by this copy of the kit")
    ok, why = available(requested)
    if not ok:
        raise Unavailable(f"isolation {requested!r} is not available here: {why}")
    return requested


def official(requested=None, allow_self_check=False):
    """``choose()``, for grading that counts: ``self-check`` only when explicitly allowed."""
    mode = choose(requested)
    if mode == "self-check" and not allow_self_check:
        reasons = "; ".join(f"{m}: {available(m)[1]}" for m in MODES[:-1])
        raise Unavailable(
            "official grading needs graded code isolated by the operating system, and this machine gives "
            f"neither os nor user isolation ({reasons}). Install bubblewrap (Debian/Ubuntu: "
            "apt-get install bubblewrap) or grade as root; or pass --allow-self-check to grade with the "
            "in-process guard only, which a determined student can get around.")
    return mode


def available(mode):
    """``(True, "")`` if ``mode`` works on this machine, else ``(False, why)``."""
    if mode == "os":
        return _bwrap_works()
    if mode == "user":
        return _user_works()
    if mode == "self-check":
        return True, ""
    raise ValueError(mode)


def worker_user():
    """The unprivileged user ``user`` mode runs workers as: ``(uid, gid)``, or None if there is none."""
    import pwd

    name = os.environ.get(WORKER_USER_ENV) or "nobody"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return (entry.pw_uid, entry.pw_gid) if entry.pw_uid != 0 else None


@functools.cache
def _bwrap_works():
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bwrap (bubblewrap) is not installed"
    try:
        probe = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                                "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"bwrap could not run ({error})"
    if probe.returncode != 0:
        said = probe.stderr.decode("utf-8", "replace").strip().splitlines()
        return False, f"bwrap cannot create namespaces here ({said[-1] if said else f'exit {probe.returncode}'})"
    return True, ""


def _user_works():
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False, "the grader does not run as root, so it cannot run workers as another user"
    if worker_user() is None:
        return False, f"there is no unprivileged user to run workers as (set ${WORKER_USER_ENV})"
    return True, ""
