"""The grading process trusts nothing from the submission (issue 9), tested as users meet it.

- The static honesty scan is bounded whatever the source (it gives up with a
  note, never hangs, never costs the student points).
- Nothing the submission can write stalls the grading process: FIFOs named
  like installed packages' metadata, in the kit's root or in the graded folder.
- Flags are capped: a run that floods them keeps a small report.
- ``verify`` regrades every stage and believes nothing the report says.

Every grade here runs in a real subprocess with a generous timeout, so a hang
fails the test instead of stalling the suite; none depends on speed.
"""

import copy
import decimal  # noqa: F401  loaded here before FIFOs named like them are planted in the kit's root (a
import fractions  # noqa: F401  later import by this process would find those, the grader's must not)
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from runner_support import toy_checks, toy_folder, validate

from grader import isolation
from grader.stages import STAGES
from conftest import KIT_ROOT

HOSTILE = Path(__file__).resolve().parent / "corpus" / "hostile"
GENEROUS = 300  # seconds: a grade that takes longer than this is hung, not slow
SELF_CHECK = ["--allow-self-check"]  # whatever isolation this machine gives; refusal is tested on its own


def run_grader(*args, timeout=GENEROUS, cwd=KIT_ROOT):
    environment = {k: v for k, v in os.environ.items() if k not in ("MICROGRAD_KIT_STUDENT_ID",)}
    environment["NO_COLOR"] = "1"
    try:
        return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=cwd, env=environment,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"python -m grader {' '.join(map(str, args))} did not finish within {timeout} s")


def kit_state():
    """What the kit's own files are (git's view of reference/ and grader/): a grade must leave it as it was."""
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", "reference", "grader",
                           "student"], cwd=KIT_ROOT, capture_output=True, text=True)
    listed = subprocess.run(["git", "ls-files", "-s", "--", "reference", "grader", "student"], cwd=KIT_ROOT,
                            capture_output=True, text=True)
    return done.stdout, listed.stdout, sorted(p.name for p in KIT_ROOT.iterdir())


def hostile_folder(name, tmp_path):
    """A hostile corpus case's submission: its own modules, the rest the reference's (README.md's rules)."""
    source, folder = HOSTILE / name, tmp_path / name
    folder.mkdir()
    for path in (KIT_ROOT / "reference").glob("*.py"):
        text = path.read_text()
        own, tail = source / path.name, source / f"{path.stem}+.py"
        text = own.read_text() if own.exists() else text + (tail.read_text() if tail.exists() else "")
        (folder / path.name).write_text(text.replace("{KIT}", str(KIT_ROOT)))
    return folder


# ---- the honesty scan: bounded whatever the source ----

SCAN_IN_A_CHILD = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # a scan that needs a gigabyte is unbounded
    sys.path.insert(0, sys.argv[1])
    from grader import honesty
    findings = honesty.examine(sys.argv[2])
    print(json.dumps({"flags": findings.flags, "notes": findings.notes}))
""")


def examine_in_a_child(folder):
    done = subprocess.run([sys.executable, "-c", SCAN_IN_A_CHILD, str(KIT_ROOT), str(folder)],
                          capture_output=True, text=True, timeout=GENEROUS)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def exponential(names, terms):
    assignments = "".join(f"    s = {n!r}\n" for n in names)
    return f"if False:\n{assignments}    __import__({'+'.join(['s'] * terms)})\n"


BOMBS = {
    "every combination of a name's strings": exponential(["ref", "erence", "gr", "ader"], 60) + "import reference\n",
    "a name given thousands of strings": "".join(f"R = 'x{i}'\n" for i in range(5000)) + "__import__(R)\nimport reference\n",
    "a quadratic string": "x = " + "+".join([repr("a" * 100)] * 900) + "\nimport reference\n",
    "big strings multiplied": "".join(f"a = '{'Q' * 2000}{i}'\n" for i in range(8))
                              + "open(a + a)\n" * 1500 + "import reference\n",
}
FOLLOWED = {  # deep, but within what the scan reads through: found, no note
    "a deep chain of parents": "import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__)"
                               + ".parent" * 400 + "))\nimport reference\n",
    "exec nested in exec": "exec(" * 30 + "'import reference'" + ")" * 30 + "\n",
}


@pytest.mark.parametrize("about", BOMBS)
def test_the_scan_gives_up_with_a_note_instead_of_hanging(about, tmp_path):
    (tmp_path / "engine.py").write_text(BOMBS[about])
    findings = examine_in_a_child(tmp_path)
    assert {f["module"] for f in findings["flags"]} <= {"engine"}
    assert [n["module"] for n in findings["notes"]] == ["engine"], findings
    assert "the runtime guard still watched it" in findings["notes"][0]["note"]
    # no bomb hides a plain import statement
    assert any("imports reference" in f["reason"] for f in findings["flags"]), findings


@pytest.mark.parametrize("about", FOLLOWED)
def test_deep_but_readable_code_is_still_scanned(about, tmp_path):
    (tmp_path / "engine.py").write_text(FOLLOWED[about])
    findings = examine_in_a_child(tmp_path)
    assert findings["notes"] == [] and any("imports reference" in f["reason"] for f in findings["flags"])


def test_the_scan_leaves_a_module_too_large_to_read_with_a_note(tmp_path):
    (tmp_path / "nn.py").write_text("import reference\n" + "# padding\n" * 20000)
    findings = examine_in_a_child(tmp_path)
    assert findings["flags"] == [] and "larger than" in findings["notes"][0]["note"]


def test_the_scan_and_the_hashes_never_open_a_fifo(tmp_path):
    (tmp_path / "engine.py").write_text("import reference\n")
    os.mkfifo(tmp_path / "nn.py")  # opened for reading, a FIFO blocks until someone writes to it
    findings = examine_in_a_child(tmp_path)
    assert [f["module"] for f in findings["flags"]] == ["engine"] and findings["notes"] == []


# ---- end to end: each hostile class earns nothing, gives a readable report, leaves the kit alone ----

@pytest.fixture(scope="module")
def stubs_grade(tmp_path_factory):
    """A grade of the pristine stubs, to compare later ones with."""
    from conftest import pristine_stub_sources

    folder = tmp_path_factory.mktemp("stubs") / "pristine"
    folder.mkdir()
    for name, text in pristine_stub_sources().items():
        (folder / name).write_text(text)
    report = folder.parent / "report.json"
    done = run_grader("--impl", folder, "--report", report, "--stage", "1")
    assert done.returncode == 0, done.stderr
    return folder, json.loads(report.read_text())["grading"]


def assert_stubs_unaffected(stubs_grade, tmp_path):
    folder, before = stubs_grade
    report = tmp_path / "stubs-again.json"
    done = run_grader("--impl", folder, "--report", report, "--stage", "1")
    assert done.returncode == 0, done.stderr
    after = json.loads(report.read_text())["grading"]
    assert [(c["nodeid"], c["outcome"], c["points"]) for s in after["stages"] for c in s["checks"]] == \
        [(c["nodeid"], c["outcome"], c["points"]) for s in before["stages"] for c in s["checks"]]
    assert after["honesty"] == before["honesty"] and after["errors"] == []


def test_a_string_bomb_is_graded_in_full_with_a_note(tmp_path, stubs_grade):
    kit = kit_state()
    folder = hostile_folder("scan_string_bomb", tmp_path)
    report = tmp_path / "report.json"
    done = run_grader("--impl", folder, "--report", report, "--stage", "1")
    assert done.returncode == 0, done.stderr
    grading = validate(json.loads(report.read_text()))
    assert grading["score"] == grading["max_score"]  # giving up is nobody's fault: no points lost
    assert grading["errors"] == [] and grading["honesty"]["flags"] == []
    assert [n["module"] for n in grading["honesty"]["notes"]] == ["engine"]
    assert kit_state() == kit
    assert_stubs_unaffected(stubs_grade, tmp_path)


def test_a_flood_of_flags_keeps_the_report_small_and_the_stage_at_zero(tmp_path, stubs_grade):
    kit = kit_state()
    folder = hostile_folder("flag_flood", tmp_path)
    report = tmp_path / "report.json"
    done = run_grader("--impl", folder, "--report", report, "--stage", "1")
    assert done.returncode == 0, done.stderr
    assert report.stat().st_size < 1024 * 1024
    grading = validate(json.loads(report.read_text()))
    assert grading["score"] == 0 and grading["errors"] == []
    flags = grading["honesty"]["flags"]
    assert 1 < len(flags) <= 25 and all(len(f["reason"]) <= 300 for f in flags)
    assert "the rest are left out" in flags[-1]["reason"]
    assert kit_state() == kit
    assert_stubs_unaffected(stubs_grade, tmp_path)


def plant_fifos(folder):
    """FIFOs named like installed packages' metadata, where importlib.metadata would read them, and like
    modules the grading process imports after start-up (hypothesis needs decimal and fractions)."""
    planted = []
    for name in ("x.egg-info", "x.dist-info", "pytest.egg-info", "pytest_json_report.egg-info",
                 "hypothesis.egg-info", "decimal.py", "fractions.py"):
        os.mkfifo(folder / name)
        planted.append(folder / name)
    (folder / "y.dist-info").mkdir()  # what a plugin search reads: the entry points of every package
    planted.append(folder / "y.dist-info")
    for name in ("entry_points.txt", "METADATA"):
        os.mkfifo(folder / "y.dist-info" / name)
    return planted


def remove(paths):
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@pytest.mark.parametrize("where", ["the kit's root", "the graded folder"])
def test_fifos_named_like_package_metadata_do_not_stall_a_grade(where, tmp_path):
    folder = toy_folder(tmp_path / "submission")
    shutil.copy(KIT_ROOT / "reference" / "engine.py", folder / "engine.py")
    planted = plant_fifos(KIT_ROOT if where == "the kit's root" else folder)
    try:
        report = tmp_path / "report.json"
        done = run_grader("--impl", folder, "--report", report, "--stage", "1", timeout=GENEROUS)
        assert done.returncode == 0, done.stderr
        grading = validate(json.loads(report.read_text()))
        assert grading["score"] == 20 and grading["environment"]["pytest"]
    finally:
        remove(planted)


def test_run_from_inside_a_submission_its_files_are_not_imported(tmp_path):
    """``python -m`` puts the current folder on sys.path: a submission's own modules must not load."""
    folder = toy_folder(tmp_path / "submission")
    (folder / "decimal.py").write_text("raise SystemExit('the grading process imported the submission')\n")
    (folder / "fractions.py").write_text("raise SystemExit('the grading process imported the submission')\n")
    report = tmp_path / "report.json"
    environment = dict(os.environ, PYTHONPATH=str(KIT_ROOT), NO_COLOR="1")
    done = subprocess.run([sys.executable, "-m", "grader", "--impl", ".", "--report", str(report),
                           "--stage", "0"], cwd=folder, env=environment, capture_output=True, text=True,
                          timeout=GENEROUS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported the submission" not in done.stdout + done.stderr


# ---- verify: regrades every stage, believes nothing ----

@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """A toy submission with one failing check, and the honest report of its full grade."""
    root = tmp_path_factory.mktemp("verify")
    folder = toy_folder(root / "submission", {"4/second": "fail"})
    report = root / "honest.json"
    done = run_grader("--checks", toy_checks(), "--impl", folder, "--report", report)
    assert done.returncode == 0, done.stderr
    return folder, json.loads(report.read_text())


def verify(report_document, folder, tmp_path, *extra):
    path = tmp_path / "claimed.json"
    path.write_text(json.dumps(report_document))
    return run_grader("verify", path, "--impl", folder, "--checks", toy_checks(), *extra)


def stage(document, stage_id):
    return next(s for s in document["grading"]["stages"] if s["id"] == stage_id)


def bonus_only(d):
    g = d["grading"]
    g["stages"] = [s for s in g["stages"] if s["id"] == "bonus"]
    g["selected_stages"], g["score"], g["max_score"] = ["bonus"], 0.0, 0


def inflated_stage(d):  # consistent with itself: the checks say 15 too
    for check in stage(d, "4")["checks"]:
        check["points"], check["outcome"] = check["max_points"], "passed"
    stage(d, "4")["score"] = 15.0
    d["grading"]["score"] = 100.0


def missing_stage(d):
    g = d["grading"]
    g["stages"] = [s for s in g["stages"] if s["id"] != "3"]
    g["selected_stages"].remove("3")
    g["score"] -= 20
    g["max_score"] -= 20


def wrong_hash(d):
    d["grading"]["impl"]["files"]["nn.py"] = "0" * 64


def missing_hash(d):
    del d["grading"]["impl"]["files"]["train.py"]


def tampered_total(d):
    d["grading"]["score"] = 100.0


def check_over_its_maximum(d):
    check = stage(d, "4")["checks"][1]
    check["points"], stage(d, "4")["score"] = 3.0 + 10, 25.0
    d["grading"]["score"] = 110.0


def no_stages_at_all(d):
    d["grading"]["stages"] = "all of them"


TAMPERED = {
    bonus_only: ["the report did not grade every stage", "stage 0: the report shows no score"],
    inflated_stage: ["stage 4: claimed 15, regraded 12", "total: claimed 100, regraded 97"],
    missing_stage: ["stage 3: the report shows no score (regraded 20)", "the report did not grade every stage"],
    wrong_hash: ["nn.py: not the file the report graded"],
    missing_hash: ["train.py: the report gives no hash for it"],
    tampered_total: ["total: claimed 100, regraded 97", "is not the sum of its stages' scores"],
    check_over_its_maximum: ["claim points outside 0..their maximum", "stage 4: claimed 25, regraded 12"],
    no_stages_at_all: ["the report has no list of stages"],
}


def test_verify_matches_an_honest_report_of_a_buggy_submission(honest, tmp_path):
    folder, document = honest
    done = verify(document, folder, tmp_path, *SELF_CHECK)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MATCH" in done.stdout and f"isolation {isolation.choose()}" in done.stdout


@pytest.mark.parametrize("tamper", TAMPERED, ids=lambda f: f.__name__)
def test_verify_calls_every_tampered_report_a_mismatch_and_says_why(tamper, honest, tmp_path):
    folder, document = honest
    claimed = copy.deepcopy(document)
    tamper(claimed)
    done = verify(claimed, folder, tmp_path, *SELF_CHECK)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MISMATCH" in done.stdout and "Traceback" not in done.stdout + done.stderr
    for reason in TAMPERED[tamper]:
        assert reason in done.stdout, done.stdout


def test_verify_refuses_self_check_unless_allowed(honest, tmp_path):
    folder, document = honest
    done = verify(document, folder, tmp_path, "--isolation", "self-check")
    assert done.returncode == 2 and "--allow-self-check" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_verify_with_the_real_checks(pristine_stubs, tmp_path):
    """The issue's own case, a hand-edited report of the stubs claiming 100, and an honest report of the
    reference, with the kit's real checks."""
    report = tmp_path / "stubs.json"
    assert run_grader("--impl", pristine_stubs, "--report", report).returncode == 0
    claimed = json.loads(report.read_text())
    for each in claimed["grading"]["stages"]:
        for check in each["checks"]:
            check.update(outcome="passed", points=check["max_points"], message=None)
        each["score"] = float(each["max_score"])
    claimed["grading"]["score"] = 100.0
    report.write_text(json.dumps(claimed))
    done = run_grader("verify", report, "--impl", pristine_stubs, *SELF_CHECK)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "total: claimed 100, regraded 0" in done.stdout

    reference = tmp_path / "reference.json"
    assert run_grader("--impl", "reference", "--report", reference).returncode == 0
    done = run_grader("verify", reference, "--impl", "reference", *SELF_CHECK)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_stage_is_compared():
    """The comparison's own list of stages is the kit's, not the report's."""
    from grader.instructor import claims

    regraded = {"grading": {"stages": [{"id": s.id, "score": 0.0} for s in STAGES], "score": 0.0}}
    found = claims.differences({"grading": {}}, regraded)
    for each in STAGES:
        if each.points:
            assert f"stage {each.id}: the report shows no score (regraded 0)" in found


def test_a_graded_folder_on_the_callers_import_path_is_not_imported_from(tmp_path):
    """``api.grade`` called by a program that has the submission on ``sys.path`` (a notebook in student/):
    during the grade, the submission's ``hypothesis.py`` is not the one the checks get; afterwards the
    caller's ``sys.path`` is as it was."""
    folder = toy_folder(tmp_path / "submission")
    (folder / "hypothesis.py").write_text("raise SystemExit('the grading process imported the submission')\n")
    code = textwrap.dedent("""
        import sys
        sys.path[:0] = [sys.argv[1], sys.argv[2]]
        before = list(sys.path)
        from grader import api
        grading = api.grade(sys.argv[2], stages=["1"])["grading"]
        assert sys.path == before, "the caller's sys.path was not put back"
        print(grading["score"], grading["errors"])
    """)
    done = subprocess.run([sys.executable, "-c", code, str(KIT_ROOT), str(folder)], capture_output=True,
                          text=True, timeout=GENEROUS, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split()[0] == "20.0", done.stdout
