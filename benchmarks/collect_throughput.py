"""How long `collect` takes to regrade a class: 100 submissions on this machine.

    python benchmarks/collect_throughput.py [--count 100] [--jobs N] [--keep DIR]

Makes a class of submissions in a temporary folder, as `nox -s submit` packs
them (zips holding student/ files, no report): mostly finished work (the
reference), some untouched stubs, and buggy variants, each the reference with
one classic mistake typed in. Then runs `python -m grader collect` on it, as
an instructor would, and prints the wall time. The target is under 150 s for
100 submissions on a 2-core machine.
"""

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT_ROOT))

from grader.instructor.layout import PACKAGE_FILES  # noqa: E402
from grader.reset import pristine_source  # noqa: E402

TARGET_SECONDS = 150
# (file, text in the reference, the mistake typed instead): each one a hint in the catalogue
MISTAKES = [
    ("engine.py", "self.grad += other.data * out.grad", "self.grad += self.data * out.grad"),
    ("engine.py", "self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t) * out.grad"),
    ("engine.py", "other.grad += 1.0 * out.grad", "other.grad = 1.0 * out.grad"),
    ("engine.py", "return other + (-self)", "return self + (-other)"),
    ("engine.py", "for v in reversed(topo):", "for v in topo:"),
    ("derivatives.py", "return (f(*up) - f(*down)) / (2 * h)", "return (f(*up) - f(*down)) / h"),
    ("nn.py", "return act.tanh() if self.nonlin else act", "return act"),
    ("train.py", "model.zero_grad()", "pass"),
]


def reference_files():
    return {name: (KIT_ROOT / "reference" / name).read_text() for name in PACKAGE_FILES}


def stub_files():
    files = {}
    for name in PACKAGE_FILES:
        source, _ = pristine_source(KIT_ROOT, name.removesuffix(".py"))
        files[name] = source if source is not None else (KIT_ROOT / "student" / name).read_text()
    return files


def with_mistake(files, mistake):
    name, right, wrong = mistake
    if right not in files[name]:
        raise SystemExit(f"the reference's {name} no longer contains {right!r}: update MISTAKES")
    return {**files, name: files[name].replace(right, wrong, 1)}


def make_class(folder, count):
    """``count`` zips: 30% stubs, 30% one mistake each, the rest finished work."""
    reference, stubs = reference_files(), stub_files()
    kinds = []
    for i in range(count):
        if i % 10 < 3:
            kinds.append(("stubs", stubs))
        elif i % 10 < 6:
            mistake = MISTAKES[i % len(MISTAKES)]
            kinds.append((f"mistake in {mistake[0]}", with_mistake(reference, mistake)))
        else:
            kinds.append(("reference", reference))
    for i, (_, files) in enumerate(kinds):
        with zipfile.ZipFile(folder / f"submission-s{i:03d}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(f"student/{name}", text)
    return [kind for kind, _ in kinds]


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, help="passed to collect (default: its own, the core count)")
    parser.add_argument("--keep", type=Path, help="also copy the submissions and collect's output here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="collect-bench-") as scratch:
        submissions, out = Path(scratch) / "submissions", Path(scratch) / "collected"
        submissions.mkdir()
        kinds = make_class(submissions, args.count)
        command = [sys.executable, "-m", "grader", "collect", str(submissions), "--out", str(out)]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        started, cpu_before = time.monotonic(), _children_cpu()
        finished = subprocess.run(command, cwd=KIT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds, cpu = time.monotonic() - started, _children_cpu() - cpu_before
        if finished.returncode != 0:
            raise SystemExit(f"collect failed (exit status {finished.returncode})")
        with open(out / "gradebook.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        by_kind = {}
        for kind, row in zip(kinds, sorted(rows, key=lambda r: r["submission"])):
            by_kind.setdefault(kind, []).append(float(row["total"]) if row["total"] else None)
        if args.keep:
            shutil.copytree(scratch, args.keep, dirs_exist_ok=True)
    print(f"collect regraded {args.count} submissions in {seconds:.1f} s "
          f"({seconds / args.count:.2f} s each; target {TARGET_SECONDS} s for 100)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"  CPU time {cpu:.0f} s ({cpu / args.count:.2f} s each): on {cores} otherwise idle cores, "
          f"at least {cpu / cores:.0f} s of wall time; the load average was {os.getloadavg()[0]:.1f}")
    for kind, totals in sorted(by_kind.items()):
        shown = sorted({t for t in totals if t is not None})
        print(f"  {len(totals):3d} {kind:24s} totals: {', '.join(f'{t:g}' for t in shown) or 'not graded'}")
    return 0 if seconds * 100 / args.count < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
