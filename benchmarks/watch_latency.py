"""How soon watch mode shows a regrade after a save: the target is 0.5 s for a one-stage regrade.

    python benchmarks/watch_latency.py --saves 7

Starts ``python -m grader --watch`` on a copy of reference/, then saves a
file again and again (a new comment line each time, as an editor would
write it) and times each save until the regrade's last line is printed.
``nn.py`` touches one stage (4); ``engine.py`` four (1, 2, 3, bonus), shown
for comparison. Beside it, the same one-stage grade in a fresh process (what
a student waits for without --watch), so the ratio shows what staying warm
buys on this machine, whatever its load.
"""

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
DONE = "All stages:"  # the last line a regrade prints


def watch(folder, report):
    process = subprocess.Popen([sys.executable, "-u", "-m", "grader", "--impl", str(folder), "--report", str(report),
                                "--watch"], cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env={**os.environ, "NO_COLOR": "1"})
    lines = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put((time.perf_counter(), line))
        lines.put((time.perf_counter(), None))

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def wait_for(lines, text, timeout=120):
    """The time the first line holding ``text`` arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            when, line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            sys.exit("the watching grader stopped")
        if text in line:
            return when
    sys.exit(f"no {text!r} within {timeout} s")


def save_latencies(folder, report, lines, module, saves):
    """Per save: the time until the regrade was shown, and how much of it the grading itself took."""
    path = folder / f"{module}.py"
    original = path.read_text()
    times, grading = [], []
    for n in range(saves):
        time.sleep(0.3)  # a student does not save twice in a blink
        start = time.perf_counter()
        path.write_text(original + f"\n# save {n}\n")
        times.append(wait_for(lines, DONE) - start)
        grading.append(json.loads(report.read_text())["grading"]["timing"]["duration_s"])
    return times, grading


def cold_one_stage(folder, report, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader", "--impl", str(folder), "--report", str(report),
                        "--stage", "4"], cwd=KIT_ROOT, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=7, help="saves timed per file (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submission"
        shutil.copytree(KIT_ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
        report = Path(tmp) / "grade-report.json"
        process, lines = watch(folder, report)
        try:
            wait_for(lines, "Watching")
            one, one_grading = save_latencies(folder, report, lines, "nn", args.saves)
            four, four_grading = save_latencies(folder, report, lines, "engine", max(3, args.saves // 2))
        finally:
            process.terminate()
            process.wait(timeout=30)
        cold = cold_one_stage(folder, Path(tmp) / "cold.json", max(3, args.saves // 2))
    one_m, four_m, cold_m = (statistics.median(t) for t in (one, four, cold))
    print(f"{'save to regrade shown':<40} {'median':>8} {'best':>8} {'of it, grading':>15}")
    print(f"{'nn.py, one stage (4), --watch':<40} {one_m:>7.3f}s {min(one):>7.3f}s "
          f"{statistics.median(one_grading):>14.3f}s   target {TARGET_S} s: {'met' if one_m <= TARGET_S else 'NOT met'}")
    print(f"{'engine.py, four stages, --watch':<40} {four_m:>7.3f}s {min(four):>7.3f}s "
          f"{statistics.median(four_grading):>14.3f}s")
    print(f"{'stage 4 in a fresh process (no watch)':<40} {cold_m:>7.3f}s {min(cold):>7.3f}s")
    print(f"staying warm makes a one-stage regrade {cold_m / one_m:.1f} times quicker; noticing the save, "
          f"writing the reports and printing add {one_m - statistics.median(one_grading):.3f} s")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
