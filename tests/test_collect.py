"""`collect` regrades a class: every submission gets its row, flags where claims and files disagree."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import KIT_ROOT
from grader import isolation
from grader.instructor.layout import SubmissionError, unpack
from grader.instructor.processes import run_bounded
from grader.stages import docs_base
from instructor_support import (FAST_STAGES, folder_files, graded_reference, grader,  # noqa: F401
                                make_zip, stub_folder)
from runner_support import validate

# These tests are about collect, not the machine: they grade wherever only the in-process guard is there too.
ALLOW = ("--allow-self-check",)


# ---- reading submissions, whatever their shape ----

def test_files_are_found_at_the_top_in_student_or_inside_one_top_folder(tmp_path):
    shapes = {
        "top.zip": {"engine.py": "A = 1\n", "grade-report.json": "{}"},
        "student.zip": {"student/engine.py": "A = 1\n", "reports/grade-report.json": "{}"},
        "wrapped.zip": {"alice/student/nn.py": "A = 1\n", "alice/reports/grade-report.json": "{}",
                        "__MACOSX/alice/._nn.py": "junk", "alice/.DS_Store": "junk"},
    }
    for name, files in shapes.items():
        unpacked = unpack(make_zip(tmp_path / name, files), tmp_path / f"{name}.out")
        assert unpacked.found == [n for n in ("engine.py", "nn.py") if any(k.endswith(n) for k in files)]
        assert unpacked.report is not None and unpacked.report.read_text() == "{}"


def test_a_hostile_zip_writes_nothing_outside_and_its_odd_entries_are_noted(tmp_path):
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../escaped.py", "print('out')")
        archive.writestr("/tmp/absolute.py", "print('out')")
        link = zipfile.ZipInfo("student/nn.py")
        link.external_attr = 0o120777 << 16  # a symlink to the reference
        archive.writestr(link, str(KIT_ROOT / "reference" / "nn.py"))
        archive.writestr("student/engine.py", "A = 1\n")
    unpacked = unpack(path, tmp_path / "out")
    assert unpacked.found == ["engine.py"]
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["engine.py", "package"]
    assert not (tmp_path.parent / "escaped.py").exists()
    assert len(unpacked.notes) == 3


def test_a_folder_submission_never_follows_links(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "engine.py").symlink_to(KIT_ROOT / "reference" / "engine.py")
    (folder / "nn.py").write_text("A = 1\n")
    unpacked = unpack(folder, tmp_path / "out")
    assert unpacked.found == ["nn.py"] and unpacked.notes == ["ignored the link engine.py"]


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b"not a zip at all"), "not a readable zip file"),
    (lambda p: make_zip(p, {}), "empty"),
    (lambda p: make_zip(p, {"notes.txt": "hi"}), "no engine.py"),
    (lambda p: make_zip(p, {"engine.py": "#" * (2 << 20)}), "larger than 1 MB"),
    (lambda p: p.symlink_to(p.parent / "nowhere"), "neither a folder nor a file"),
])
def test_an_ungradable_submission_says_why(tmp_path, make, reason):
    path = tmp_path / "s.zip"
    make(path)
    with pytest.raises(SubmissionError, match=reason):
        unpack(path, tmp_path / "out")


# ---- a class, regraded for real ----

@pytest.fixture(scope="module")
def collected(graded_reference, tmp_path_factory):
    """One `python -m grader collect` run over a class with every kind of submission."""
    folder, report = graded_reference
    root = tmp_path_factory.mktemp("class")
    dist = root / "dist"
    submitted = grader("submit", "--impl", folder, "--report", report, "--out", dist)
    assert submitted.returncode == 0, submitted.stderr
    ref_report = json.loads(report.read_text())
    stubs = stub_folder(root / "stubs")
    class_ = root / "submissions"
    class_.mkdir()

    (dist / "submission-s-ref.zip").rename(class_ / "submission-s-ref.zip")
    # someone else's report (100 points), its id changed, handed in with the stubs
    borrowed = json.loads(json.dumps(ref_report))
    borrowed["grading"]["student_id"] = "s-mallory"
    make_zip(class_ / "tampered.zip",
             {**folder_files(stubs, "student/"), "reports/grade-report.json": json.dumps(borrowed)})
    # the right files, a report edited to claim less on stage 0 (and a total to match)
    edited = json.loads(json.dumps(ref_report))
    edited["grading"]["student_id"] = "s-edited"
    edited["grading"]["stages"][0]["score"] -= 5
    edited["grading"]["score"] -= 5
    make_zip(class_ / "edited.zip", {**folder_files(folder), "grade-report.json": json.dumps(edited)})
    # the stubs twice under one id, as a folder and as a zip, no report
    stub_folder(class_ / "s-stubs" / "student")
    make_zip(class_ / "submission-s-stubs.zip", folder_files(stubs))
    # a syntax error in derivatives.py, zipped inside a top folder
    broken = {**folder_files(folder, "carol/"), "carol/derivatives.py": "def numerical_derivative(:\n"}
    make_zip(class_ / "carol.zip", broken)
    # code that borrows the reference
    stub_folder(class_ / "dave")
    (class_ / "dave" / "derivatives.py").write_text("from reference.derivatives import *\n")
    (class_ / "garbage.zip").write_bytes(b"PK\x03\x04 and then nothing useful")
    make_zip(class_ / "empty.zip", {})
    (class_ / "ghost.zip").symlink_to(root / "nowhere.zip")

    roster = root / "roster.csv"  # as Canvas exports it: a "Points Possible" row, ids in several columns
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Homework (88)\n"
                      "    Points Possible,,,,,100.00\n"
                      '"Ref, Sam",101,u101,s-ref,Tuesday lab,\n'
                      '"Mallory, Eve",102,u102,S-MALLORY,Tuesday lab,\n'
                      '"Lee, Carol",103,carol,c.lee,Friday lab,\n'
                      '"Never, Erin",104,u104,erin,Friday lab,\n')
    out = root / "collected"
    args = ["collect", class_, "--out", out, "--jobs", "2", "--roster", roster, "--assignment", "Homework (88)",
            *ALLOW]
    for stage in FAST_STAGES:
        args += ["--stage", stage]
    finished = grader(*args)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    with open(out / "gradebook.csv", newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    return out, rows, finished


def test_every_submission_has_a_row_with_the_expected_columns(collected):
    out, rows, finished = collected
    header = (out / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert header == ["student_id", "submission", "stage_0", "stage_1", "stage_2", "stage_3", "stage_4",
                      "stage_5", "total", "claimed_total", "isolation", "flags", "details"]
    assert sorted(rows) == sorted(["submission-s-ref.zip", "tampered.zip", "edited.zip", "s-stubs",
                                   "submission-s-stubs.zip", "carol.zip", "dave", "garbage.zip", "empty.zip",
                                   "ghost.zip"])
    assert "[10/10]" in finished.stderr  # the plain progress lines, stderr not being a terminal
    assert "Regraded 7 of 10 submissions" in finished.stdout
    graded = [row for row in rows.values() if row["total"]]
    assert len(graded) == 7 and all(row["isolation"] in isolation.MODES for row in graded)
    for row in graded:  # the column says what each regrade's report says
        report = json.loads((out / "reports" / f"{row['submission']}.json").read_text())
        assert row["isolation"] == report["grading"]["isolation"]
    assert all(row["isolation"] == "" for row in rows.values() if not row["total"])


def test_official_grading_refuses_the_in_process_guard_alone_unless_allowed(tmp_path):
    class_ = tmp_path / "class"
    stub_folder(class_ / "s1")
    refused = grader("collect", class_, "--out", tmp_path / "out", "--isolation", "self-check")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "--allow-self-check" in refused.stderr and "isolated by the operating system" in refused.stderr
    assert not (tmp_path / "out").exists()
    allowed = grader("collect", class_, "--out", tmp_path / "out", "--isolation", "self-check", "--stage", "0",
                     "--allow-self-check")
    assert allowed.returncode == 0, allowed.stderr
    with open(tmp_path / "out" / "gradebook.csv", newline="") as f:
        [row] = csv.DictReader(f)
    assert row["isolation"] == "self-check" and "isolation self-check" in allowed.stdout


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_canvas_gets_one_row_per_rostered_student_with_the_total(collected):
    out, rows, finished = collected
    canvas = read_csv(out / "canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework (88)"]
    total = {name: rows[name]["total"] for name in rows}
    assert sorted(canvas[1:]) == sorted([
        ["Ref, Sam", "101", "u101", "s-ref", "Tuesday lab", total["submission-s-ref.zip"]],
        ["Mallory, Eve", "102", "u102", "S-MALLORY", "Tuesday lab", total["tampered.zip"]],  # ids match in any case
        ["Lee, Carol", "103", "carol", "c.lee", "Friday lab", total["carol.zip"]],  # by SIS User ID
    ])
    # the rest is named, never guessed: not in the roster, two submissions under one id, not graded, no submission
    for left_out in ("s-edited: not in the roster", "dave: not in the roster", "s-stubs (s-stubs): more than one",
                     "garbage (garbage.zip): not graded", "no graded submission: Never, Erin"):
        assert left_out in finished.stdout


def test_moodle_gets_an_identifier_and_the_grade(collected):
    out, rows, _ = collected
    moodle = read_csv(out / "moodle.csv")
    assert moodle[0] == ["SIS Login ID", "Homework (88)"]  # the roster's first column Moodle can map to a user
    assert sorted(moodle[1:]) == sorted([["s-ref", rows["submission-s-ref.zip"]["total"]],
                                         ["S-MALLORY", rows["tampered.zip"]["total"]],
                                         ["c.lee", rows["carol.zip"]["total"]]])


def test_without_a_roster_the_student_id_is_the_student():
    from grader.instructor import collect, lms

    outcomes = [collect.Outcome("submission-bo.zip", "bo", regraded={"grading": {"score": 42.5, "stages": []}}),
                collect.Outcome("ann", "ann", regraded={"grading": {"score": 100, "stages": []}}),
                collect.Outcome("bad.zip", "bad", flags=["error"])]
    grades, problems = collect.lms_grades(outcomes)
    matched, unmatched = lms.match(grades, None)
    assert lms.canvas_rows(matched) == [list(lms.CANVAS_COLUMNS) + ["micrograd-kit"],
                                        ["bo", "", "", "", "", "42.5"], ["ann", "", "", "", "", "100"]]
    assert lms.moodle_rows(matched, None) == [["Username", "micrograd-kit"], ["bo", "42.5"], ["ann", "100"]]
    assert problems == ["bad (bad.zip): not graded"] and unmatched == []


def test_a_roster_without_student_ids_is_refused_before_grading(tmp_path):
    class_ = tmp_path / "class"
    stub_folder(class_ / "s1")
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Grade\nAnn,\n")
    finished = grader("collect", class_, "--out", tmp_path / "out", "--roster", roster)
    assert finished.returncode == 2 and "--roster" in finished.stderr and "SIS Login ID" in finished.stderr
    assert not (tmp_path / "out").exists()


def test_an_honest_submission_is_regraded_to_its_claim_with_no_flags(collected):
    _, rows, _ = collected
    row = rows["submission-s-ref.zip"]
    fast_total = sum(float(row[f"stage_{s}"]) for s in FAST_STAGES)
    assert row["student_id"] == "s-ref" and row["flags"] == ""
    assert float(row["total"]) == fast_total > 0 and float(row["claimed_total"]) == 100
    assert row["stage_1"] == ""  # not regraded in this run


def test_tampered_and_edited_reports_are_flagged(collected):
    _, rows, _ = collected
    tampered = rows["tampered.zip"]
    assert tampered["student_id"] == "s-mallory"  # the id in the report
    assert set(tampered["flags"].split()) == {"score_mismatch", "files_changed"}
    assert "engine.py" in tampered["details"] and float(tampered["claimed_total"]) == 100
    edited = rows["edited.zip"]
    assert edited["flags"] == "score_mismatch"
    assert "stage 0: claimed 5, regraded 10" in edited["details"]


def test_missing_reports_duplicates_and_broken_code_are_graded_and_flagged(collected):
    _, rows, _ = collected
    for name in ("s-stubs", "submission-s-stubs.zip"):
        assert rows[name]["student_id"] == "s-stubs"
        assert set(rows[name]["flags"].split()) == {"no_report", "duplicate_id"}
        assert float(rows[name]["total"]) == 0
    carol = rows["carol.zip"]
    assert carol["student_id"] == "carol" and carol["stage_0"] == "0" and float(carol["stage_4"]) > 0
    dave = rows["dave"]
    assert set(dave["flags"].split()) == {"no_report", "honesty"} and "reference" in dave["details"]


@pytest.mark.parametrize("name, reason", [("garbage.zip", "not a readable zip file"),
                                          ("empty.zip", "empty"), ("ghost.zip", "neither a folder nor a file")])
def test_ungradable_submissions_keep_their_row_and_reason(collected, name, reason):
    _, rows, _ = collected
    assert rows[name]["flags"] == "error" and reason in rows[name]["details"]
    assert rows[name]["total"] == ""


def test_the_class_summary_says_what_to_reteach_with_docs_links(collected):
    out, _, _ = collected
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["submissions"], summary["graded"]) == (10, 7)
    assert [s["id"] for s in summary["stages"]] == list(FAST_STAGES)
    assert sum(summary["stages"][0]["bins"].values()) == 7
    assert summary["flags"]["error"] == 3 and summary["flags"]["score_mismatch"] == 2
    hints = {h["id"]: h for h in summary["hints"]}
    assert hints["import-failed"]["students"] >= 1 and hints["import-failed"]["docs"].startswith(docs_base())
    assert any(c["stage"] == "0" and c["wrong"] >= 1 for c in summary["checks"])
    page = (out / "summary.md").read_text()
    assert "## What to reteach on Monday" in page and "import-failed" in page
    regraded = list((out / "reports").glob("*.json"))
    assert len(regraded) == 7
    for path in regraded:
        validate(json.loads(path.read_text()))


def test_a_regrade_that_overruns_is_stopped_and_its_row_says_why(tmp_path, graded_reference):
    """The time limit is a backstop for a grader that never finishes; no grader starts within 0.1 s."""
    folder, _ = graded_reference
    class_ = tmp_path / "class"
    class_.mkdir()
    make_zip(class_ / "slow.zip", folder_files(folder))
    finished = grader("collect", class_, "--out", tmp_path / "out", "--timeout", "0.1", "--stage", "0", *ALLOW)
    assert finished.returncode == 0, finished.stderr
    with open(tmp_path / "out" / "gradebook.csv", newline="") as f:
        [row] = csv.DictReader(f)
    assert "error" in row["flags"].split() and "longer than 0.1 s" in row["details"]


def test_an_overrun_kills_the_whole_tree_even_processes_in_sessions_of_their_own(tmp_path):
    """As the grader's workers are: a spinning grandchild in its own session must not outlive the timeout."""
    pid_file = tmp_path / "grandchild.pid"
    spin = "import os, sys\nopen(sys.argv[1], 'w').write(str(os.getpid()))\nwhile True:\n    pass\n"
    parent = ("import subprocess, sys, time\n"
              f"subprocess.Popen([sys.executable, '-c', {spin!r}, {str(pid_file)!r}], start_new_session=True)\n"
              "time.sleep(3600)\n")
    assert run_bounded([sys.executable, "-c", parent], 5) is None
    assert pid_file.exists(), "the grandchild never started within 5 s"
    grandchild = pid_file.read_text()
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild), "a process in its own session outlived the timeout"


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _running(word):
    """Live processes whose command line mentions ``word`` (collect's workers name its scratch folder)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if state != "Z" and word in Path(f"/proc/{entry}/cmdline").read_text():
                found.append(entry)
        except (OSError, IndexError):
            pass
    return found


def test_ctrl_c_stops_the_run_at_once_and_leaves_nothing_running(tmp_path):
    class_ = tmp_path / "class"
    for i in range(8):
        stub_folder(class_ / f"s{i}")
    collect = subprocess.Popen([sys.executable, "-m", "grader", "collect", class_, "--out", tmp_path / "out", *ALLOW],
                               cwd=KIT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120  # interrupt it mid-run: once a grade has started (its log is open)
    while not list((tmp_path / "out" / "logs").glob("*.txt")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    collect.send_signal(signal.SIGINT)
    _, err = collect.communicate(timeout=30)
    assert collect.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "gradebook.csv").exists()
    deadline = time.monotonic() + 5  # SIGKILLed processes take a moment to go
    while _running("micrograd-collect-") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running("micrograd-collect-")


HELD_OUT_SECRET = "collect-held-out-93d0"


def test_a_held_out_regrade_matches_the_grader_run_alone_and_no_output_holds_the_secret(tmp_path):
    class_ = tmp_path / "class"
    folder = class_ / "s-bug"
    folder.mkdir(parents=True)
    for name, data in folder_files(KIT_ROOT / "reference").items():
        (folder / name).write_bytes(data)
    engine = folder / "engine.py"  # the tanh rule's classic mistake: stage 2 loses points
    engine.write_text(engine.read_text().replace("(1 - t**2) * out.grad", "(1 - t) * out.grad"))
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(HELD_OUT_SECRET + "\n")
    out = tmp_path / "out"
    finished = grader("collect", class_, "--out", out, "--stage", "2", "--held-out-file", secret_file, *ALLOW)
    assert finished.returncode == 0, finished.stderr
    assert "on held-out cases" in finished.stdout
    alone = tmp_path / "alone.json"
    single = grader("--impl", folder, "--stage", "2", "--report", alone, "--student-id", "s-bug",
                    env={"MICROGRAD_KIT_HELD_OUT": HELD_OUT_SECRET})
    assert single.returncode == 0, single.stderr

    def comparable(path):
        grading = validate(json.loads(path.read_text()))
        return {k: v for k, v in grading.items() if k not in ("timing", "impl")}

    regraded = comparable(out / "reports" / "s-bug.json")
    assert regraded["held_out"] is True and 0 < regraded["score"] < 20
    assert regraded == comparable(alone), "a fork of collect's zygote grades as `python -m grader` does"
    for path in [p for p in out.rglob("*") if p.is_file()]:
        assert HELD_OUT_SECRET not in path.read_text(errors="replace"), path
    assert HELD_OUT_SECRET not in finished.stdout + finished.stderr
