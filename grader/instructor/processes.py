"""Run the grader in a process of its own, and stop it, workers and all, when it overruns.

The grader starts its workers in sessions of their own (so graded code cannot
signal the grader), which also means killing the grader's process group
leaves them behind; a worker stuck in a student's endless loop would then spin
forever. So the whole tree is found first (from /proc, on Linux) and killed.
"""

import os
import signal
import subprocess


_running = set()  # the processes run_bounded is waiting for, in any thread, and collect's zygotes


def track(process):
    """Have ``stop_all`` kill ``process`` (anything with a ``pid``) and its tree."""
    _running.add(process)


def untrack(process):
    _running.discard(process)


def run_bounded(command, timeout, **popen_args):
    """Run ``command``; its exit status, or None when it ran past ``timeout`` seconds and was killed."""
    process = subprocess.Popen(command, start_new_session=True, **popen_args)
    track(process)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    finally:  # the timeout, or Ctrl-C: leave nothing running
        if process.poll() is None:
            kill_tree(process.pid)
            process.wait()
        untrack(process)


def stop_all():
    """Kill every process that run_bounded is waiting for, and the zygotes (the user pressed Ctrl-C)."""
    for process in list(_running):
        kill_tree(process.pid)


def kill_tree(pid):
    """SIGKILL ``pid``, every process it started (transitively), and their process groups."""
    for victim in [pid] + descendants(pid):
        for kill in (os.killpg, os.kill):
            try:
                kill(victim, signal.SIGKILL)
                break
            except (ProcessLookupError, PermissionError):
                continue


def descendants(pid):
    """The processes below ``pid`` in the process tree (empty where /proc is not there)."""
    children = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])  # the name may hold spaces and ')'
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), ()):
            found.append(child)
            queue.append(child)
    return found
