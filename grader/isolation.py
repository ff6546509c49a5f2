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
asked for, by argument or ``$MICROGRAD_KIT_ISOLATION``). ``sandbox.py``
starts the workers; this module knows what each mode needs of the machine
(see ``grader/README.md`` for what a worker sees under each).
"""

import functools
import os
import shutil
import signal
import subprocess
import sys
import sysconfig

from . import KIT_ROOT

MODES = ("os", "user", "self-check")
CHOICES = ("auto",) + MODES
ENV = "MICROGRAD_KIT_ISOLATION"
WORKER_USER_ENV = "MICROGRAD_KIT_WORKER_USER"  # the unprivileged user of ``user`` mode (default: nobody)
IMPLEMENTED = MODES  # the modes the sandbox can run workers under


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
    try:
        prepare_user_mode(worker_user())
    except Unavailable as error:
        return False, str(error).partition("available here: ")[2]
    return True, ""


# ---- os: what bwrap mounts ----

def bwrap():
    return shutil.which("bwrap")


def real_python():
    """The interpreter itself, not a virtual environment's link to it: the one a worker can run anywhere."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


SYSTEM_TOPS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@functools.cache
def system_mounts():
    """bwrap arguments for the interpreter and the system libraries, read-only, minus installed packages.

    Installed packages (site-packages, dist-packages: micrograd itself may be
    there) and the kit, if it lies inside a mounted folder, are covered with
    empty folders.
    """
    args, mounted = [], []
    for top in SYSTEM_TOPS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
            mounted.append(top)
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    python = real_python()
    prefix = os.path.realpath(sys.base_prefix)
    if not any(_inside(python, top) for top in mounted):
        args += ["--ro-bind", prefix, prefix]
        mounted.append(prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    hidden = {os.path.realpath(p) for p in (
        sysconfig.get_path("purelib", vars={"base": prefix, "platbase": prefix}),
        sysconfig.get_path("platlib", vars={"base": prefix, "platbase": prefix}),
        f"/usr/local/lib/{version}", "/usr/lib/python3/dist-packages", f"/usr/lib/{version}/dist-packages",
        f"/usr/lib/{version}/site-packages", str(KIT_ROOT))}
    for path in sorted(hidden):
        if os.path.isdir(path) and any(_inside(path, top) for top in mounted):
            args += ["--tmpfs", path]
    return args


def _inside(path, folder):
    return os.path.commonpath([path, folder]) == folder


# ---- user: an unprivileged user that cannot read the kit ----

USER_PROBE = """
import os, sys
kit = sys.argv[1]
for attempt in (lambda: os.listdir(kit), lambda: open(os.path.join(kit, "reference", "engine.py")).close()):
    try:
        attempt()
    except OSError:
        continue
    print("readable")
    break
else:
    print("sealed")
"""


@functools.cache
def prepare_user_mode(user):
    """The interpreter the worker user runs, once the kit is out of its reach; Unavailable if it cannot be.

    The worker user must be able to run the interpreter (one under /root is
    not: then the system's python of the same version), and must not be able
    to read the kit: when it can, the kit's root folder loses its
    permissions for others (``chmod o-rwx``), which makes everything in it
    unreachable to other users, and it is checked again.
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [real_python(), f"/usr/bin/{version}", f"/usr/local/bin/{version}"]
    for python in dict.fromkeys(candidates):
        said = _probe_as(user, python)
        if said is None:
            continue
        if said == "readable":
            st = os.stat(KIT_ROOT)
            if st.st_uid == os.geteuid() and st.st_mode & 0o007:
                os.chmod(KIT_ROOT, st.st_mode & ~0o007)
                said = _probe_as(user, python)
        if said != "sealed":
            raise Unavailable(f"isolation 'user' is not available here: the worker user can read the kit "
                              f"({KIT_ROOT}); make it unreadable to others (chmod o-rwx) or use 'os' isolation")
        return python
    raise Unavailable(f"isolation 'user' is not available here: the worker user (uid {user[0]}) cannot run "
                      f"{real_python()} nor a system {version}; install {version} where every user can run it")


def _probe_as(user, python):
    """What USER_PROBE prints when run by ``user`` with ``python``, or None if it cannot run it."""
    try:
        done = subprocess.run([python, "-s", "-S", "-c", USER_PROBE, str(KIT_ROOT)], user=user[0], group=user[1],
                              extra_groups=[], cwd="/", env={}, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


# what the worker user may have left behind: top-level entries of these folders that it owns
SHARED_WRITABLE = ("/dev/shm", "/dev/mqueue", "/tmp", "/var/tmp")


def end_user_processes(user, since):
    """Kill the worker user's processes started at or after ``since`` (``boot_ticks()``); remove its files.

    Under ``user`` isolation a worker's child (if one could be started past
    the guard's limit on processes) can leave its session and process group;
    it cannot leave its user. Processes of that user that were running before
    the grade began (a daemon running as ``nobody``) are left alone; those of
    another grade running at the same time as the same user are not: one
    grade at a time per worker user (``$MICROGRAD_KIT_WORKER_USER`` tells
    parallel graders apart).
    """
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as f:
                uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
            with open(f"/proc/{entry.name}/stat") as f:
                started = int(f.read().rsplit(")", 1)[1].split()[19])
            if uid == user[0] and started >= since:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError, IndexError, StopIteration):
            continue  # ended meanwhile
    remove_user_files(user)


def boot_ticks():
    """Now, in the clock ticks since boot that /proc/PID/stat gives a process's start time in."""
    with open("/proc/uptime") as f:
        return int(float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def remove_user_files(user):
    """Remove what the worker user left in the folders every user can write (/tmp, /dev/shm, ...).

    Done before each worker starts, so that no worker finds what another
    left there (a worker beside the reference engine could leave its source).
    """
    for folder in SHARED_WRITABLE:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != user[0]:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
