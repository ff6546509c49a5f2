"""What an endless loop costs a grade: the first output, and the whole grade, beside a correct solution.

    python benchmarks/hang_cost.py [--repeats 3]

Grades the lecture-style solution and the same with an endless `while` loop in
`backward()` (the buggy corpus's "endless while loop in backward()"), in turns,
each in a fresh `python -m grader` process whose output is read as it comes.
Prints when the first line arrived and the whole grade's time for each, and
the difference: what the loop costs (the kit aims at 10 s at most).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = KIT_ROOT / "tests" / "corpus"
MODULES = ("engine", "nn", "train", "derivatives", "__init__")


def submission(folder, endless):
    folder.mkdir()
    for name in MODULES:
        source = CORPUS / "correct" / "closures" / f"{name}.py"
        shutil.copyfile(source if source.exists() else KIT_ROOT / "reference" / f"{name}.py", folder / f"{name}.py")
    if endless:
        mutations = tomllib.loads((CORPUS / "buggy" / "mutations.toml").read_text())["mutation"]
        loop = next(m for m in mutations if m["name"] == "endless while loop in backward()")
        path = folder / "engine.py"
        path.write_text(path.read_text().replace(loop["find"], loop["replace"]))
    return folder


def run_once(folder, report):
    """(seconds to the first line, seconds to the end)."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "grader", "--impl", str(folder), "--report", str(report)],
                               cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "NO_COLOR": "1"})
    first = None
    for _ in process.stdout:
        first = first or time.perf_counter() - start
    if process.wait() != 0:
        sys.exit(f"the grade of {folder.name} failed")
    return first, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folders = {name: submission(Path(scratch) / name, endless=name == "endless")
                   for name in ("correct", "endless")}
        times = {name: [] for name in folders}
        for _ in range(args.repeats):
            for name, folder in folders.items():  # in turns: a busy machine slows both alike
                times[name].append(run_once(folder, Path(scratch) / f"{name}.json"))
    for name, runs in times.items():
        print(f"{name:8} first line {statistics.median(f for f, _ in runs):5.2f} s   "
              f"whole grade {statistics.median(t for _, t in runs):5.2f} s (median of {len(runs)})")
    cost = statistics.median(t for _, t in times["endless"]) - statistics.median(t for _, t in times["correct"])
    print(f"the endless loop costs the grade {cost:.1f} s")


if __name__ == "__main__":
    main()
