"""``python -m grader --watch``: regrade on every save, only the stages the saved file touches.

One warm process: pytest, hypothesis and the checks stay imported, so a
one-stage regrade shows a fraction of a second after the save. Saves are
found by polling the folder's modules (size and modification time), which
needs nothing beyond the standard library and works on every filesystem.
The report on disk stays whole: each regrade's stages replace the same
stages of the last report (``merge``), the others are kept, as they were
graded from files that have not changed since.
"""

import os
import time

from .stages import MODULES, STAGES

POLL_S = 0.05  # how often the files are looked at
SETTLE_S = 0.03  # an editor may write a file in steps: wait until it stops changing


def snapshot(folder):
    """``{module: (mtime_ns, size)}`` for the graded modules present (``None`` for a missing one)."""
    state = {}
    for module in MODULES:
        try:
            info = os.stat(folder / f"{module}.py")
            state[module] = (info.st_mtime_ns, info.st_size)
        except OSError:
            state[module] = None
    return state


def changed_modules(before, after):
    return [m for m in MODULES if before.get(m) != after.get(m)]


def stages_for(modules, selected):
    """The selected stages whose checks run any of ``modules``, in the table's order."""
    return [s.id for s in STAGES if s.id in selected and set(s.modules) & set(modules)]


def wait_for_save(folder, state, poll_s=POLL_S, settle_s=SETTLE_S):
    """Block until a module changes and settles; return the new state and the changed modules."""
    while True:
        time.sleep(poll_s)
        now = snapshot(folder)
        if now != state:
            while True:  # settle: the same state twice in a row
                time.sleep(settle_s)
                later = snapshot(folder)
                if later == now:
                    break
                now = later
            changed = changed_modules(state, now)
            if changed:
                return now, changed
            state = now


def merge(previous, current):
    """``previous`` with the stages ``current`` graded replaced by ``current``'s results.

    Stages ``current`` did not grade keep their results, honesty flags and
    pytest entries; everything about the run itself (files and hashes,
    timing, the grader's errors, environment) is ``current``'s. The total is
    recomputed over every stage.
    """
    if previous is None:
        return current
    old, new = previous["grading"], current["grading"]
    regraded = set(new["selected_stages"])
    by_id = {s["id"]: s for s in old["stages"] if s["id"] not in regraded}
    by_id.update({s["id"]: s for s in new["stages"]})
    stages = [by_id[s.id] for s in STAGES if s.id in by_id]
    grading = dict(new)
    grading.update(
        selected_stages=[s["id"] for s in stages],
        stages=stages,
        score=round(sum(s["score"] for s in stages), 6),
        max_score=sum(s["max_score"] for s in stages),
        honesty={"flags": [f for f in old["honesty"]["flags"] if f["stage"] not in regraded]
                 + list(new["honesty"]["flags"])},
    )
    document = dict(current)
    replaced = {c["nodeid"] for s in old["stages"] if s["id"] in regraded for c in s["checks"]}
    kept = [t for t in previous.get("tests", []) if t.get("nodeid") not in replaced]
    document["tests"] = kept + list(current.get("tests", []))
    summary = {}
    for test in document["tests"]:
        summary[test.get("outcome")] = summary.get(test.get("outcome"), 0) + 1
    document["summary"] = {**summary, "total": len(document["tests"]), "collected": len(document["tests"])}
    document["grading"] = grading
    return document


def run(folder, selected, grade, show, *, out=print):
    """Grade ``selected`` stages, then regrade on every save until Ctrl-C; returns 0.

    ``grade(stages)`` returns a report document; ``show(document, regraded)``
    writes and prints it. A regrade that fails is reported and watching goes on.
    """
    state = snapshot(folder)
    document = None
    try:
        document = _regrade(document, selected, grade, show, out)
        out(f"Watching {folder} for saves (Ctrl-C to stop)...")
        while True:
            state, changed = wait_for_save(folder, state)
            stages = stages_for(changed, selected)
            names = ", ".join(f"{m}.py" for m in changed)
            if not stages:
                out(f"\n{names} changed: no selected stage uses it")
                continue
            out(f"\n{names} saved: regrading stage{'s' * (len(stages) > 1)} {', '.join(stages)}")
            document = _regrade(document, stages, grade, show, out)
    except KeyboardInterrupt:
        out("\nwatch stopped")
        return 0


def _regrade(document, stages, grade, show, out):
    from .api import GradingInterrupted

    try:
        current = grade(stages)
    except GradingInterrupted:
        raise KeyboardInterrupt from None
    except Exception as error:  # the grader's own failure: say so, keep the last good report, keep watching
        out(f"error: the grader itself failed: {type(error).__name__}: {error} (this is a problem in the kit)")
        return document
    merged = merge(document, current)
    show(merged, current)
    return merged
