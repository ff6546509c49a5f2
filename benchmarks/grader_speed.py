"""How long a student waits for feedback: the grader end to end, timed as they run it.

    nox -s bench            (runs this after the engine benchmark)
    python benchmarks/grader_speed.py --repeats 7

Times `python -m grader --impl reference` (every stage), one stage, and the
pristine stubs, each in a fresh process as a student's run is, and prints
the best and median wall times against the targets (2 s, 1 s). Then what
isolation costs: the full grade of the reference under each isolation mode
this machine gives, run in turns (so a busy machine slows all alike), each
mode's median beside the in-process guard's (``self-check``), against the
target of 0.2 s per full grade.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT_ROOT))
from grader import isolation  # noqa: E402  (the kit's own, whatever is installed)

ISOLATION_TARGET = 0.2  # seconds a full grade may spend on isolation
CASES = {
    "full grade, reference": (["--impl", "reference"], 2.0),
    "one stage (--stage 1)": (["--impl", "reference", "--stage", "1"], 1.0),
    "full grade, pristine stubs": (["--impl", "student"], None),
}


def run_once(args, report):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader", *args, "--report", report],
                          cwd=KIT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "NO_COLOR": "1"})
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"grader failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        print(f"{'':30}{'best':>8}{'median':>9}{'target':>9}")
        for name, (grader_args, target) in CASES.items():
            times = [run_once(grader_args, report) for _ in range(args.repeats)]
            shown = f"{target:.1f} s" if target else "-"
            print(f"{name:30}{min(times):7.2f}s{statistics.median(times):8.2f}s{shown:>9}")
        isolation_costs(report, args.repeats)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: above ~0.5 the numbers are inflated)")


def isolation_costs(report, repeats):
    """Full grades of the reference under every mode available here, in turns; medians and the cost of each."""
    modes = [m for m in isolation.MODES if isolation.available(m)[0]]
    skipped = [f"{m} ({isolation.available(m)[1]})" for m in isolation.MODES if m not in modes]
    times = {mode: [] for mode in modes}
    for _ in range(repeats):
        for mode in modes:
            times[mode].append(run_once(["--impl", "reference", "--isolation", mode], report))
    base, base_best = statistics.median(times["self-check"]), min(times["self-check"])
    print(f"\nfull grade, reference, by isolation{'best':>8}{'median':>9}{'cost':>9}{'(best)':>9}{'target':>9}")
    for mode in modes:
        median, best = statistics.median(times[mode]), min(times[mode])
        cost = "-" if mode == "self-check" else f"{median - base:+.2f}s"
        cost_best = "-" if mode == "self-check" else f"{best - base_best:+.2f}s"
        target = "-" if mode == "self-check" else f"{ISOLATION_TARGET:.1f} s"
        print(f"  {mode:34}{best:7.2f}s{median:8.2f}s{cost:>9}{cost_best:>9}{target:>9}")
    for line in skipped:
        print(f"  not available here: {line}")


if __name__ == "__main__":
    main()
