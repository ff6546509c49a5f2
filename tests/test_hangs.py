"""An endless loop in graded code: progress shows as it is graded, and the hang costs one time limit, once.

A real submission whose ``backward()`` never returns, graded by a real
``python -m grader`` process whose output is read line by line.
"""

import json
import os
import shutil
import subprocess
import sys

from grading_support import grade_folder
from test_corpus import BASE, MUTATIONS, assemble

from conftest import KIT_ROOT
from grader import exprs, hangs
from grader.sandbox import STACK_DUMP_WAIT, Sandbox, TimedOut

ENDLESS = next(m for m in MUTATIONS if m["name"] == "endless while loop in backward()")


def endless_loop_folder(tmp_path):
    folder = assemble(BASE, tmp_path / "endless")
    path = folder / "engine.py"
    path.write_text(path.read_text().replace(ENDLESS["find"], ENDLESS["replace"]))
    return folder


def test_progress_shows_while_grading_and_the_hang_is_one_failure_that_says_where(tmp_path):
    folder, report = endless_loop_folder(tmp_path), tmp_path / "report.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "--impl", str(folder), "--report", str(report), "--stage", "2",
         "--stage", "3", "--stage", "4"],
        cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"})
    seen = []  # (line, whether the grade was still running when it arrived)
    for line in process.stdout:
        seen.append((line.rstrip("\n"), process.poll() is None))
    assert process.wait(timeout=300) == 0, process.stderr.read()

    lines = [line for line, _ in seen]
    assert lines[0] == "micrograd-kit 0.1.0 — grading endless"  # relative to nothing local: the folder's name
    stage_rows = [i for i, line in enumerate(lines) if line.startswith("  Stage ")]
    assert [lines[i].split()[1] for i in stage_rows] == ["2", "3", "4"]  # the table's order, each once
    assert seen[0][1] and seen[stage_rows[0]][1], "the header and stage 2 came only at the end"

    grading = json.loads(report.read_text())["grading"]
    scores = {s["id"]: (s["score"], s["max_score"]) for s in grading["stages"]}
    assert scores["2"] == (20, 20) and scores["4"] == (15, 15) and scores["3"][0] < 20
    checks = [c for s in grading["stages"] if s["id"] == "3" for c in s["checks"]]
    timed_out = [c for c in checks if c["outcome"] == "timeout"]
    assert len(timed_out) == 1, [c["outcome"] for c in checks]
    assert timed_out[0]["message"].startswith("your code did not finish: backward() in engine.py, stopped after")
    assert " at line " in timed_out[0]["message"] and timed_out[0]["hint_id"] == "timed-out"
    others = [c for c in checks if c is not timed_out[0] and c["outcome"] != "passed"]
    assert others and {c["outcome"] for c in others} == {"not_run"}
    assert {c["message"] for c in others} == {
        "not run: blocked by backward() in engine.py, which never finished (see the check that timed out)"}

    text = "\n".join(lines)
    assert text.count("did not finish") == 1 and "failed the same way" not in text
    assert "slower and slower" not in text  # no timing hint for code that never finishes


def test_a_hang_is_charged_once_and_code_that_does_not_reach_it_still_runs(tmp_path):
    with Sandbox(endless_loop_folder(tmp_path), call_timeout=2.0) as box:
        cap = hangs.HangCap(box)
        try:
            cap.call("deep_chain", n=3, modules=("engine",))
        except TimedOut as error:
            assert hangs.describe(error).startswith("backward() in engine.py, stopped after 2 s at line ")
        else:
            raise AssertionError("backward() returned")
        # a forward op never reaches the loop: it still answers, within the probe's limit
        spec = exprs.parse("a*b", ["a", "b"])
        assert cap.call("forward", spec=spec, inputs=[2.0, -3.0], modules=("engine",)) is not None
        left = cap.left
        for _ in range(5):  # stuck in backward() again: stopped after the short limit, reported blocked
            try:
                cap.call("deep_chain", n=3, modules=("engine",))
            except hangs.Blocked as error:
                assert error.message.startswith("not run: blocked by backward() in engine.py")
            else:
                raise AssertionError("backward() returned")
        assert left - cap.left == 5 * (hangs.PROBE_S + STACK_DUMP_WAIT)  # charged the short limit, not 2 s


def test_checks_that_never_reach_the_loop_keep_their_points(tmp_path):
    """An endless tanh() costs the checks that call tanh, not every later check of the engine."""
    folder = tmp_path / "tanh"
    shutil.copytree(KIT_ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    with open(folder / "engine.py", "a") as f:
        f.write("\n\ndef _endless_tanh(self):\n    while True:\n        pass\n\n\nValue.tanh = _endless_tanh\n")
    grading = grade_folder(folder, stages=["1", "3"])["grading"]
    stages = {s["id"]: s for s in grading["stages"]}
    assert stages["3"]["score"] == 20, [(c["name"], c["message"]) for c in stages["3"]["checks"]]
    outcomes = [c["outcome"] for c in stages["1"]["checks"]]
    assert outcomes.count("timeout") == 1 and "passed" in outcomes
