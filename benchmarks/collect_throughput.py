"""How much faster `collect` regrades a class than grading it one submission at a time.

    python benchmarks/collect_throughput.py [--count 40] [--rounds 2] [--jobs N] [--keep DIR]

Makes a class of submissions in a temporary folder, as `nox -s submit` packs
them (zips holding student/ files, no report): mostly finished work (the
reference), some untouched stubs, and buggy variants, each the reference with
one classic mistake typed in. Then, in one run and on the same machine, times
grading them one by one with `python -m grader` (a fresh process each, as a
shell loop would) and regrading them with `python -m grader collect`, as an
instructor would. The two alternate over ``--rounds`` slices of the class, so
that a change in the machine's load falls on both. Prints the ratio of the
wall times; the target is at most 0.35. Checks that both give every
submission the same total.

The CPU figures are what rusage counts for the processes each way starts.
Under ``os`` isolation that leaves out the workers, which end inside their
own PID namespace, out of its sight: the figures understate both sides
alike. The ratio is of wall times.
"""

import argparse
import csv
import json
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

TARGET_RATIO = 0.35
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


def timed(command):
    """Run ``command`` from the kit's root; its (wall seconds, CPU seconds), or SystemExit when it fails."""
    started, cpu_before = time.monotonic(), _children_cpu()
    finished = subprocess.run(command, cwd=KIT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if finished.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command[1:4]))} failed (exit status {finished.returncode}):\n"
                         f"{finished.stderr[-2000:]}")
    return time.monotonic() - started, _children_cpu() - cpu_before


def one_by_one(zips, scratch):
    """Grade each submission with its own `python -m grader`; its totals by file name, the time taken."""
    totals, wall, cpu = {}, 0.0, 0.0
    for path in zips:
        folder = scratch / "unzipped" / path.stem
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)
        report = scratch / "one-by-one" / f"{path.stem}.json"
        w, c = timed([sys.executable, "-m", "grader", "--impl", folder / "student", "--report", report])
        wall, cpu = wall + w, cpu + c
        totals[path.name] = json.loads(report.read_text())["grading"]["score"]
    return totals, wall, cpu


def why_they_differ(scratch, name):
    """The checks whose outcomes differ between the two reports of submission ``name``, in a few words."""
    stem = name.removesuffix(".zip")
    try:
        reports = [json.loads(path.read_text())["grading"] for path in
                   (scratch / "one-by-one" / f"{stem}.json", scratch / "collected" / "reports" / f"{name}.json")]
    except (OSError, ValueError, KeyError) as error:
        return f"no report to compare ({error})"
    outcomes = [{c["name"]: c["outcome"] for s in r["stages"] for c in s["checks"]} for r in reports]
    changed = [f"{check} {outcomes[0][check]} vs {outcomes[1].get(check)}"
               for check in outcomes[0] if outcomes[0][check] != outcomes[1].get(check)]
    return "; ".join(changed) or "the same outcomes, other points"


def collected(zips, scratch, jobs):
    """Regrade the submissions with one `collect`; their totals by file name, the time taken."""
    batch = scratch / "batch"
    shutil.rmtree(batch, ignore_errors=True)
    batch.mkdir()
    for path in zips:
        shutil.copy(path, batch / path.name)
    out = scratch / "collected"
    # the same isolation as the one-by-one grades (the strongest here), even where that is only self-check
    command = [sys.executable, "-m", "grader", "collect", batch, "--out", out, "--allow-self-check"]
    if jobs:
        command += ["--jobs", str(jobs)]
    wall, cpu = timed(command)
    with open(out / "gradebook.csv", newline="") as f:
        totals = {row["submission"]: float(row["total"]) if row["total"] else None for row in csv.DictReader(f)}
    return totals, wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=40, help="submissions in the class (default: 40)")
    parser.add_argument("--rounds", type=int, default=2, help="slices the two ways alternate over (default: 2)")
    parser.add_argument("--jobs", type=int, help="passed to collect (default: its own, the core count)")
    parser.add_argument("--keep", type=Path, help="also copy the submissions and the reports here")
    args = parser.parse_args()
    if args.count < 1 or args.rounds < 1:
        parser.error("--count and --rounds must be positive")
    with tempfile.TemporaryDirectory(prefix="collect-bench-") as scratch:
        scratch = Path(scratch)
        submissions = scratch / "submissions"
        submissions.mkdir()
        kinds = make_class(submissions, args.count)
        zips = sorted(submissions.glob("*.zip"))
        single, batch = {}, {}
        single_time = batch_time = single_cpu = batch_cpu = 0.0
        for r in range(args.rounds):
            part = zips[r::args.rounds]
            totals, wall, cpu = one_by_one(part, scratch)
            single.update(totals)
            single_time, single_cpu = single_time + wall, single_cpu + cpu
            totals, wall, cpu = collected(part, scratch, args.jobs)
            batch.update(totals)
            batch_time, batch_cpu = batch_time + wall, batch_cpu + cpu
        differ = sorted(name for name in single if single[name] != batch.get(name))
        explained = {name: why_they_differ(scratch, name) for name in differ}
        if args.keep:
            shutil.copytree(scratch, args.keep, dirs_exist_ok=True)
    n = args.count
    ratio = batch_time / single_time
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{n} submissions on {cores} cores (load average {os.getloadavg()[0]:.1f} at the end):")
    print(f"  one by one (python -m grader): {single_time:6.1f} s wall ({single_time / n:.2f} s each), "
          f"{single_cpu:6.1f} s CPU ({single_cpu / n:.2f} s each)")
    print(f"  collect:                       {batch_time:6.1f} s wall ({batch_time / n:.2f} s each), "
          f"{batch_cpu:6.1f} s CPU ({batch_cpu / n:.2f} s each)")
    print(f"  ratio collect / one by one: {ratio:.2f} (target at most {TARGET_RATIO})")
    by_kind = {}
    for kind, name in zip(kinds, sorted(batch)):
        by_kind.setdefault(kind, []).append(batch[name])
    for kind, totals in sorted(by_kind.items()):
        shown = sorted({t for t in totals if t is not None})
        print(f"  {len(totals):3d} {kind:24s} totals: {', '.join(f'{t:g}' for t in shown) or 'not graded'}")
    if differ:
        print(f"  collect and one-by-one disagree on {len(differ)} submissions:")
        for name in differ:
            print(f"    {name}: one by one {single[name]:g}, collect {batch.get(name)}: {explained[name]}")
        return 1
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
