"""The sandbox and its worker: deadlines, fresh workers, limits, the guard, and what the grading process imports.

Real worker processes throughout; submissions are small folders written by
the tests (the hostile corpus, ``test_hostile.py``, covers each misbehaviour
of the issue end to end).
"""

import json
import marshal
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import isolation_modes
from grader.isolation import MODES
from grader.sandbox import (
    KIT_ROOT, PYTHON_FLAGS, REFERENCE_DIR, WORKER_BOOT, Crashed, Sandbox, TimedOut, TooMuchOutput, worker_files,
)

SELFTESTS = (("selftest_engine", "engine", ()), ("selftest_nn", "nn", ("engine",)),
             ("selftest_train", "train", ("engine", "nn")), ("selftest_derivatives", "derivatives", ()))


@pytest.fixture(autouse=True, params=MODES)
def mode(request, monkeypatch):
    """Every test here runs under each isolation mode (see ``isolation_modes.py``)."""
    return isolation_modes.use(request.param, monkeypatch)


def submission(tmp_path, **tails):
    """A copy of the reference with code appended to some modules (``engine="..."``)."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    for name in ("__init__", "engine", "nn", "train", "derivatives"):
        text = (REFERENCE_DIR / f"{name}.py").read_text()
        (folder / f"{name}.py").write_text(text + textwrap.dedent(tails.get(name, "")))
    return folder


def alive(pid):
    """Whether ``pid`` is a running process (a zombie waiting for its parent counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def worker_pids(sandbox):
    """The sandbox's worker processes, the blank one started ahead of need included."""
    spare = [sandbox._spare] if sandbox._spare is not None else []
    return [w.process.pid for w in [*sandbox._workers.values(), *spare]]


def worker_children():
    """This process's live child processes that are graded-code workers."""
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        pids += (task / "children").read_text().split()
    found = []
    for pid in pids:
        try:
            if WORKER_BOOT in Path(f"/proc/{pid}/cmdline").read_text() and alive(pid):
                found.append(int(pid))
        except FileNotFoundError:
            pass
    return found


def test_the_reference_itself_is_graded_without_flags():
    """--impl reference must score 100: the guard lets a worker read the folder it grades, even reference/."""
    with Sandbox(REFERENCE_DIR) as sandbox:
        for scenario, module, from_reference in SELFTESTS:
            assert sandbox.call(scenario, modules=(module,), from_reference=from_reference)
        assert sandbox.flags == []


def test_a_call_past_its_deadline_is_stopped_and_the_next_call_gets_a_fresh_worker(tmp_path):
    folder = submission(tmp_path, engine="""
        import time
        def _slow_tanh(self):
            time.sleep(60)
        Value.tanh = _slow_tanh
    """)
    with Sandbox(folder, call_timeout=0.5) as sandbox:
        assert sandbox.call("ping") == "pong"
        first = worker_pids(sandbox)
        start = time.monotonic()
        with pytest.raises(TimedOut) as stopped:
            sandbox.call("selftest_engine", modules=("engine",))
        assert time.monotonic() - start < 3
        assert "still running after 0.5 s (in engine.py" in stopped.value.message
        assert "time.sleep(60)" in stopped.value.message  # where it was stuck, from faulthandler
        assert not alive(first[0])
        assert sandbox.call("selftest_derivatives", modules=("derivatives",))["L"] == 1.0
        assert worker_pids(sandbox) != first


class _Budget(BaseException):
    """Like the grading plugin's time-budget alarm: raised into the grading process mid-call."""


def test_an_interrupted_call_never_leaves_its_late_answer_for_the_next_one(tmp_path):
    folder = submission(tmp_path, engine="""
        import time
        _honest_tanh = Value.tanh
        def _late_tanh(self):
            time.sleep(0.3)
            return _honest_tanh(self)
        Value.tanh = _late_tanh
    """)

    def ring(signum, frame):
        raise _Budget()

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        with Sandbox(folder, call_timeout=5) as sandbox:
            expected = sandbox.call("selftest_engine", modules=("engine",))
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            with pytest.raises(_Budget):
                sandbox.call("selftest_engine", modules=("engine",))
            time.sleep(0.4)  # the interrupted call's answer would be waiting in the pipe by now
            assert sandbox.call("selftest_nn", modules=("nn",), from_reference=("engine",))["parameters"] == 21
            assert sandbox.call("selftest_engine", modules=("engine",)) == expected
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_alarm_at_any_moment_leaves_no_worker_behind(tmp_path):
    """Interrupted while starting a worker, loading a module or waiting for an answer: nothing is left running."""
    folder = submission(tmp_path)

    def ring(signum, frame):
        raise _Budget()

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        for delay_ms in range(1, 120, 6):
            with Sandbox(folder) as sandbox:
                signal.setitimer(signal.ITIMER_REAL, delay_ms / 1000)
                try:
                    sandbox.call("selftest_engine", modules=("engine",))
                except _Budget:
                    pass
                signal.setitimer(signal.ITIMER_REAL, 0)
                assert sorted(worker_children()) == sorted(worker_pids(sandbox))
                assert sandbox.call("selftest_derivatives", modules=("derivatives",))["L"] == 1.0
            assert worker_children() == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_output_is_bounded_per_call_with_an_excerpt_kept(tmp_path):
    folder = submission(tmp_path, train="""
        _honest_loss = mse_loss
        def mse_loss(ypred, ys):
            print("x" * 300_000)
            return _honest_loss(ypred, ys)
    """, engine="""
        def _flood(self, other):
            print("first line of the flood")
            while True:
                print("y" * 100_000)
        Value.__mul__ = _flood
    """)
    with Sandbox(folder, output_limit=1024 * 1024) as sandbox:
        for _ in range(10):  # 300 KB a call: 3 MB over the run, never 1 MB in one call
            sandbox.call("selftest_train", modules=("train",), from_reference=("engine", "nn"))
        with pytest.raises(TooMuchOutput) as flood:
            sandbox.call("selftest_engine", modules=("engine",))
        assert "printed more than 1 MB and was stopped (runaway output) (in engine.py" in flood.value.message
        assert flood.value.detail["output"].startswith("first line of the flood\nyyyy")  # this call's, from its start


GARBLES = {
    "huge size": 'fd_write(reply, struct.pack("!Q", 2**60))',
    "not JSON": 'fd_write(reply, frame(b"\\xff not json"))',
    "not an object": 'fd_write(reply, frame(b"[1, 2, 3]"))',
    "nested past the parser's recursion limit": 'fd_write(reply, frame(b"[" * 200_000 + b"]" * 200_000))',
    "the right id, a wrong shape": 'fd_write(reply, frame(json.dumps({"id": current_id(), "ok": True, "result": 1, '
                                   '"extra": 2}).encode()))',
    "an error of no known kind": 'fd_write(reply, frame(json.dumps({"id": current_id(), "ok": False, "kind": "bribe", '
                                 '"error": {}}).encode()))',
    "half a message": 'fd_write(reply, struct.pack("!Q", 100) + b"{")',
    "the reply pipe closed": "os.close(reply)",
}


@pytest.mark.parametrize("garble", GARBLES)
def test_a_garbled_channel_costs_one_call_and_nothing_else(tmp_path, garble):
    folder = submission(tmp_path, engine=f"""
        import json, os, struct, sys
        _frame = sys._getframe()  # the worker's own frames hold its pipes' descriptors
        while "reply_fd" not in _frame.f_locals:
            _frame = _frame.f_back
        reply, request, fd_write = _frame.f_locals["reply_fd"], _frame.f_locals["request_fd"], os.write
        def frame(body):
            return struct.pack("!Q", len(body)) + body
        def current_id():  # the worker's frames are graded code's to read
            frame_ = sys._getframe()
            while "request" not in frame_.f_locals:
                frame_ = frame_.f_back
            return frame_.f_locals["request"]["id"]
        _honest_tanh = Value.tanh
        def _garbling_tanh(self):
            {GARBLES[garble]}
            return _honest_tanh(self)
        Value.tanh = _garbling_tanh
    """)
    with Sandbox(folder, call_timeout=10) as sandbox:
        start = time.monotonic()
        with pytest.raises(Crashed) as garbled:
            sandbox.call("selftest_engine", modules=("engine",))
        assert time.monotonic() - start < 5  # found out at once, not left to the call's timeout
        assert "garbled answer" in garbled.value.message or "closed the channel" in garbled.value.message
        assert sandbox.call("selftest_derivatives", modules=("derivatives",))["L"] == 1.0


def test_closing_the_request_pipe_costs_no_other_call(tmp_path):
    """The worker answers, then cannot read its next request; that next call is not charged for it."""
    folder = submission(tmp_path, engine="""
        import os, sys
        _frame = sys._getframe()
        while "request_fd" not in _frame.f_locals:
            _frame = _frame.f_back
        _request = _frame.f_locals["request_fd"]
        _honest_tanh = Value.tanh
        def _closing_tanh(self):
            os.close(_request)
            return _honest_tanh(self)
        Value.tanh = _closing_tanh
    """)
    with Sandbox(folder, call_timeout=2) as sandbox:
        expected = sandbox.call("selftest_engine", modules=("engine",))
        time.sleep(0.2)
        assert sandbox.call("selftest_derivatives", modules=("derivatives",))["L"] == 1.0
        assert sandbox.call("selftest_engine", modules=("engine",)) == expected


def test_the_worker_ends_when_the_grading_process_dies(tmp_path):
    """A worker busy in graded code notices its parent's death (SIGKILL, no clean-up) and exits."""
    folder = submission(tmp_path, engine="""
        def _busy_tanh(self):
            while True:
                pass
        Value.tanh = _busy_tanh
    """)
    script = textwrap.dedent(f"""
        import sys, threading
        sys.path.insert(0, {str(KIT_ROOT)!r})
        from grader.sandbox import Sandbox
        sandbox = Sandbox({str(folder)!r}, call_timeout=120)
        sandbox.call("ping")
        print(sandbox._workers[(("selftest",), ())].process.pid, flush=True)
        sandbox.call("selftest_engine", modules=("engine",))
    """)
    grading = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(grading.stdout.readline())
        time.sleep(0.3)
        assert alive(pid)
    finally:
        grading.kill()
        grading.wait()
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    left_behind = list(Path(tempfile.gettempdir()).glob(f"micrograd-kit-run-{grading.pid}-*"))
    assert left_behind  # the killed grading process could not clean up...
    with Sandbox(folder) as sandbox:
        sandbox.call("ping")
    assert not any(p.exists() for p in left_behind)  # ...the next sandbox does


def test_cpu_time_is_bounded_even_without_the_call_deadline(tmp_path):
    folder = submission(tmp_path, engine="""
        def _busy_tanh(self):
            while True:
                pass
        Value.tanh = _busy_tanh
    """)
    with Sandbox(folder, call_timeout=30, cpu_seconds=1) as sandbox:
        start = time.monotonic()
        with pytest.raises(Crashed) as stopped:
            sandbox.call("selftest_engine", modules=("engine",))
        assert "CPU time" in stopped.value.message
        assert time.monotonic() - start < 15


def test_closing_ends_every_worker_within_its_deadline(tmp_path):
    folder = submission(tmp_path, engine="""
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    """)
    sandbox = Sandbox(folder)
    for scenario, module, from_reference in SELFTESTS:
        sandbox.call(scenario, modules=(module,), from_reference=from_reference)
    pids, run_dir = worker_pids(sandbox), sandbox.run_dir
    assert len(sandbox._workers) == 3 and all(alive(p) for p in pids)
    start = time.monotonic()
    sandbox.close()
    assert time.monotonic() - start < 2
    assert not any(alive(p) for p in pids)
    assert not os.path.exists(run_dir)


def test_a_worker_that_cannot_start_is_the_graders_failure_not_the_students(tmp_path):
    with Sandbox(submission(tmp_path), start_timeout=0.001) as sandbox:
        with pytest.raises(RuntimeError, match="could not start a process"):
            sandbox.call("ping")


def test_bad_settings_are_refused_in_plain_words(tmp_path, monkeypatch):
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        Sandbox(tmp_path / "nowhere")
    monkeypatch.setenv("MICROGRAD_KIT_CALL_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="MICROGRAD_KIT_CALL_TIMEOUT must be a positive number, not 'soon'"):
        Sandbox(tmp_path)


def test_an_unknown_scenario_is_the_graders_bug(tmp_path):
    with Sandbox(submission(tmp_path)) as sandbox:
        with pytest.raises(RuntimeError, match="no scenario named 'no_such_thing'"):
            sandbox.call("no_such_thing")
        assert sandbox.call("ping") == "pong"


def test_the_guard_refuses_escapes_without_flagging_honest_code(tmp_path):
    """Each attempt is refused with a PermissionError/ImportError; none of these is a cheat, so none is flagged."""
    folder = submission(tmp_path, derivatives="""
        import gc, os, sys
        def _hook_added():
            seen = []
            sys.addaudithook(lambda event, args: seen.append(event))  # refused silently, as Python does
            open("notes.txt", "w").close()
            return bool(seen)
        def _attempts():
            yield "open a folder", lambda: os.open("/", os.O_RDONLY)
            yield "write outside", lambda: open("/tmp/micrograd-kit-escape.txt", "w")
            yield "write outside by a path object", lambda: open(
                type("P", (), {"__fspath__": lambda s: "/tmp/micrograd-kit-escape.txt"})(), "w")
            yield "symlink", lambda: os.symlink("/etc", "link")
            yield "chdir", lambda: os.chdir("/")
            yield "gc", lambda: gc.get_objects()
            yield "trace", lambda: sys.settrace(lambda *a: None)
            yield "profile", lambda: sys.setprofile(lambda *a: None)
            yield "dir_fd", lambda: os.mkdir("x", dir_fd=0)
            yield "limits", lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_AS, (-1, -1))
        def escapes():
            got_through = ["audit hook"] if _hook_added() else []
            for name, attempt in _attempts():
                try:
                    attempt()
                except (PermissionError, ImportError):
                    continue
                got_through.append(name)
            with open("notes.txt", "w") as f:  # the scratch folder is writable
                f.write("fine")
            return got_through
        _honest = lecture_gradients
        def lecture_gradients():
            gaps = escapes()
            if gaps:
                raise RuntimeError("got through: " + ", ".join(gaps))
            return _honest()
    """)
    with Sandbox(folder) as sandbox:
        assert sandbox.call("selftest_derivatives", modules=("derivatives",))["L"] == 1.0
        assert sandbox.flags == []
    assert not os.path.exists("/tmp/micrograd-kit-escape.txt")


def test_reading_the_grading_process_is_flagged(tmp_path):
    folder = submission(tmp_path, derivatives="""
        import os
        try:
            open(f"/proc/{os.getppid()}/environ").read()
        except OSError as error:
            REFUSED = str(error)
    """)
    with Sandbox(folder) as sandbox:
        sandbox.call("selftest_derivatives", modules=("derivatives",))
        assert [f["module"] for f in sandbox.flags] == ["derivatives"]
        assert sandbox.flags[0]["reason"] == "derivatives.py tried to read /proc/<the grading process>/environ"


def test_looking_into_a_sibling_worker_is_flagged(tmp_path, mode):
    """A stage-4 worker holds the reference engine: another worker may not read its /proc files (its output...).

    Under ``os`` isolation the sibling is not even there to look at (a PID namespace of its own).
    """
    folder = submission(tmp_path, derivatives="""
        import os
        _honest = lecture_gradients
        def lecture_gradients():
            with open(os.path.join(os.path.dirname(__file__), "sibling.txt")) as f:
                sibling = f.read().strip()
            for name in ("cmdline", "fd/1", "mem"):
                try:
                    open(f"/proc/{sibling}/{name}", "rb").read(100)
                except OSError:
                    continue
                raise RuntimeError("read " + name)
            with open("/proc/self/status") as f:  # its own, though, it may read
                f.read()
            return _honest()
    """)
    with Sandbox(folder) as sandbox:
        sandbox.call("selftest_nn", modules=("nn",), from_reference=("engine",))
        sibling = sandbox._workers[(("selftest",), ("engine",))].python_pid()
        (Path(sandbox.graded_folder) / "sibling.txt").write_text(str(sibling))  # the folder the workers read
        assert sandbox.call("selftest_derivatives", modules=("derivatives",))["L"] == 1.0
        if mode == "os":
            assert sandbox.flags == []
            return
        assert {f["module"] for f in sandbox.flags} == {"derivatives"}
        assert any("tried to read a process's memory" in f["reason"] for f in sandbox.flags)
        assert "derivatives.py tried to read /proc/<another process>/cmdline" in [f["reason"] for f in sandbox.flags]


def test_a_call_costs_well_under_a_millisecond_on_an_idle_machine():
    """Measured, not just claimed: the median round trip of a trivial call (generous bound for a busy machine)."""
    with Sandbox(REFERENCE_DIR) as sandbox:
        sandbox.call("ping")
        times = []
        for _ in range(200):
            start = time.perf_counter()
            sandbox.call("ping")
            times.append(time.perf_counter() - start)
    assert sorted(times)[len(times) // 2] < 0.005


def test_workers_load_the_grading_process_s_bytecode_instead_of_compiling(tmp_path):
    """The compiled files a run's workers get are ones the interpreter takes as they are.

    The proof: a file with the right header but other code in it. Python runs
    that code only when it takes the file without compiling the source.
    """
    source, bytecode = worker_files()["common.py"]
    header_size = 16  # PEP 552: magic, flags, the source's hash
    (tmp_path / "common.py").write_bytes(source)
    (tmp_path / "__pycache__").mkdir()
    marker = marshal.dumps(compile("FROM_BYTECODE = True", "common.py", "exec"))
    (tmp_path / "__pycache__" / f"common.{sys.implementation.cache_tag}.pyc").write_bytes(
        bytecode[:header_size] + marker)
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import common; print(common.FROM_BYTECODE)"
    result = subprocess.run([sys.executable, *PYTHON_FLAGS, "-c", probe, str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr
    (tmp_path / "common.py").write_bytes(source + b"\n# changed\n")  # another source: compiled after all
    result = subprocess.run([sys.executable, *PYTHON_FLAGS, "-c", probe, str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert "has no attribute 'FROM_BYTECODE'" in result.stderr


def test_every_worker_module_goes_to_the_run_compiled(tmp_path, mode):
    with Sandbox(submission(tmp_path)) as sandbox:
        sandbox.call("ping")
        if mode == "self-check":  # its workers use the kit's own folder
            return
        cache = Path(sandbox.run_dir) / "worker" / "__pycache__"
        for name, (source, bytecode) in worker_files().items():
            assert (Path(sandbox.run_dir) / "worker" / name).read_bytes() == source
            assert (cache / f"{name[:-3]}.{sys.implementation.cache_tag}.pyc").read_bytes() == bytecode


def test_no_spare_worker_is_left_once_every_group_has_its_own(tmp_path):
    """A spare boots while a worker works; after the last group's worker it would only be thrown away."""
    with Sandbox(submission(tmp_path)) as sandbox:
        assert sandbox.call("value_exponent", base=2.0, exponent=3.0, modules=("engine",))
        assert sandbox._spare is not None
        assert sandbox.call("shared_leaves", preset=0.5, modules=("engine",))
        assert sandbox.call("zero_grad", kind="mlp", args=[2, [2, 1]], modules=("nn",), from_reference=("engine",))
        assert sandbox.call("sgd", data=[1.0], grads=[0.5], lr=0.1, modules=("train",),
                            from_reference=("engine", "nn"))
        assert sandbox._spare is None
        assert len(worker_children()) == 4


def test_the_grading_process_loads_all_its_code_before_graded_code_runs(tmp_path):
    """Nothing of the grader or the reference is imported after the first worker starts.

    Graded code cannot write those files (the guard refuses), and this makes
    sure it would not matter: the grading process never reads them again.
    """
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(KIT_ROOT)!r})
        from grader import api, sandbox
        seen = {{}}
        original = sandbox._Worker.__init__
        def spy(self, *args, **kwargs):
            seen.setdefault("at_first_worker", set(sys.modules))
            original(self, *args, **kwargs)
        sandbox._Worker.__init__ = spy
        api.grade({str(REFERENCE_DIR)!r})
        late = sorted(m for m in set(sys.modules) - seen["at_first_worker"]
                      if m.split(".")[0] in ("grader", "reference"))
        print(json.dumps(late))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
