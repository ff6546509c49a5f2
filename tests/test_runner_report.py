"""The grade report: what ``grader.api.grade`` records, and that every report fits the schema.

Most tests grade with a stand-in check suite (``runner_support``), so they test
the runner's contract whatever the real checks do; the last ones grade with
the kit's real checks.
"""

import hashlib
import json
import sys
import time
from pathlib import Path

import pytest
import isolation_modes
from runner_support import CONFTEST, KIT_ROOT, toy_checks, toy_folder, validate

from grader import __version__, api, report
from grader.hints import HINTS
from grader.stages import STAGES, docs_base, docs_url


def grade_toy(tmp_path, behaviours=None, **options):
    folder = toy_folder(tmp_path / "submission", behaviours)
    return validate(api.grade(folder, checks=toy_checks(), **options))


def checks_of(grading, stage):
    return {c["name"]: c for s in grading["stages"] if s["id"] == stage for c in s["checks"]}


def test_a_clean_run_scores_every_stage_in_full(tmp_path):
    document = api.grade(toy_folder(tmp_path / "s"), checks=toy_checks(), student_id="s123")
    grading = validate(document)
    assert (grading["score"], grading["max_score"]) == (100, 100)
    assert [s["id"] for s in grading["stages"]] == [s.id for s in STAGES]
    assert [(s["score"], s["max_score"]) for s in grading["stages"]] == [(s.points, s.points) for s in STAGES]
    assert grading["errors"] == [] and grading["honesty"] == {"flags": [], "notes": []}
    assert grading["student_id"] == "s123" and grading["kit_version"] == __version__
    assert document["environment"] == grading["environment"]  # pytest-json-report leaves its own empty
    assert grading["environment"]["pytest"] == pytest.__version__
    assert {t["nodeid"] for t in document["tests"]} == {
        c["nodeid"] for s in grading["stages"] for c in s["checks"]}


def test_the_report_hashes_every_graded_file_and_null_for_a_missing_one(tmp_path):
    folder = toy_folder(tmp_path / "s")
    (folder / "train.py").unlink()
    files = validate(api.grade(folder, stages=["0"], checks=toy_checks()))["impl"]["files"]
    assert files["train.py"] is None
    assert files["engine.py"] == hashlib.sha256((folder / "engine.py").read_bytes()).hexdigest()
    assert set(files) == {"__init__.py", "engine.py", "nn.py", "train.py", "derivatives.py"}


@pytest.mark.parametrize("behaviour, outcome, hint_id, message", [
    ("fail", "failed", "assign-not-accumulate", "a + a: a.grad is wrong"),
    ("not_implemented", "not_implemented", "not-implemented", "not implemented yet: stage 1: Value.__add__"),
    ("raise", "error", "raised-exception", "your code raised ZeroDivisionError: float division by zero "
                             "(in engine.py, line 42, in __truediv__: return self * other**-1)"),
    ("import", "error", "import-failed", "engine.py could not be imported: SyntaxError: invalid syntax "
                                         "(in engine.py, line 7: def __add__(self other):)"),
    ("timeout", "timeout", "timed-out", "your code did not finish: did not finish within 5 s"),
    ("crash", "crashed", "crashed", "the process running your code ended (exit status 0)"),
    ("group", "failed", "pow-rule", "the grouped failure"),
    ("assert", "failed", None, "a plain assertion"),
])
def test_each_way_graded_code_fails_becomes_feedback(tmp_path, behaviour, outcome, hint_id, message):
    grading = grade_toy(tmp_path, {"1/second": behaviour}, stages=["1"])
    check = checks_of(grading, "1")["test_second"]
    assert (check["outcome"], check["hint_id"], check["message"]) == (outcome, hint_id, message)
    assert check["points"] == 0 and grading["score"] == 17
    assert check["docs"].startswith(docs_base()) and check["description"] == "the second toy check of stage 1"
    if hint_id:
        assert check["hint"].endswith(HINTS[hint_id].text)
    assert grading["errors"] == []  # the student's failure, never the grader's


def test_a_failed_check_carries_expected_got_and_the_case(tmp_path):
    check = checks_of(grade_toy(tmp_path, {"1/first": "fail"}, stages=["1"]), "1")["test_first"]
    assert (check["expected"], check["got"], check["case"]) == (2.0, 1.0, "f(a) = a + a  at a=3.0")
    assert check["docs"] == docs_url("stages/2-backward-rules.html#assign-not-accumulate")


def test_a_non_finite_number_is_written_as_text_so_the_report_stays_json(tmp_path):
    path = tmp_path / "report.json"
    api.grade(toy_folder(tmp_path / "s", {"1/first": "nan"}), stages=["1"], checks=toy_checks(),
              report_path=path)

    def reject(constant):
        raise ValueError(f"{constant} is not JSON")

    document = json.loads(path.read_text(), parse_constant=reject)
    assert checks_of(validate(document), "1")["test_first"]["got"] == "nan"


def test_a_failure_of_the_grader_itself_is_an_error_not_the_students_fault(tmp_path):
    grading = grade_toy(tmp_path, {"2/first": "grader_bug"}, stages=["2"])
    check = checks_of(grading, "2")["test_first"]
    assert check["outcome"] == "error" and "not in your code" in check["message"]
    assert "KeyError" in check["traceback"]
    assert len(grading["errors"]) == 1 and "test_first" in grading["errors"][0]


def test_a_run_pytest_broke_off_is_a_grader_failure_and_the_checks_left_say_so(tmp_path):
    grading = grade_toy(tmp_path, {"1/first": "exit"}, stages=["1", "2"])
    assert "pytest could not run the checks (exit status 2)" in grading["errors"][0]
    assert [c["outcome"] for c in checks_of(grading, "2").values()] == ["not_run", "not_run"]
    assert checks_of(grading, "2")["test_first"]["message"] == "not run: grading stopped before this check"


def test_a_skipped_check_says_why(tmp_path):
    check = checks_of(grade_toy(tmp_path, {"bonus/first": "skip"}, stages=["bonus"]), "bonus")["test_first"]
    assert (check["outcome"], check["message"], check["points"]) == ("skipped", "torch is not installed", 0)


def test_only_the_selected_stages_run_and_count(tmp_path):
    grading = grade_toy(tmp_path, {"0/first": "grader_bug"}, stages=["bonus", "2"])
    assert grading["selected_stages"] == ["2", "bonus"]
    assert [s["id"] for s in grading["stages"]] == ["2", "bonus"]
    assert (grading["score"], grading["max_score"]) == (20, 20)
    assert grading["errors"] == []  # stage 0's broken check never ran


def test_a_flagged_module_zeroes_the_stages_that_use_it_and_says_why(tmp_path):
    flags = [{"module": "engine", "reason": "engine.py imports reference"}]
    grading = grade_toy(tmp_path, {"flags": flags}, stages=["1", "3", "4"])
    assert {s["id"]: s["score"] for s in grading["stages"]} == {"1": 0, "3": 0, "4": 15}
    assert grading["honesty"]["flags"] == [
        {"stage": "1", "module": "engine", "reason": "engine.py imports reference"},
        {"stage": "3", "module": "engine", "reason": "engine.py imports reference"}]
    assert all(c["points"] == 0 for c in checks_of(grading, "1").values())


def test_the_time_budget_stops_a_run_and_reports_the_rest_not_run(tmp_path):
    started = time.monotonic()
    grading = grade_toy(tmp_path, {"1/first": "sleep"}, stages=["1", "2"], budget_s=3)
    assert time.monotonic() - started < 10
    stopped = checks_of(grading, "1")["test_first"]
    assert stopped["outcome"] == "timeout" and "time budget (3 s)" in stopped["message"]
    later = [checks_of(grading, "1")["test_second"], *checks_of(grading, "2").values()]
    assert [c["outcome"] for c in later] == ["not_run"] * 3
    assert all("not run: the grading time budget (3 s)" in c["message"] for c in later)
    assert grading["timing"]["budget_s"] == 3 and grading["errors"] == []


def test_a_check_without_its_stage_and_points_is_refused(tmp_path):
    package = tmp_path / "runner_unmarked_checks"  # a package name of its own: imported once per process
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "conftest.py").write_text(CONFTEST)
    (package / "test_unmarked.py").write_text("import pytest\n\n@pytest.mark.points\ndef test_loose():\n"
                                               "    pass\n")
    grading = validate(api.grade(toy_folder(tmp_path / "s"), stages=["0"], checks=package))
    assert grading["errors"] == ["runner_unmarked_checks/test_unmarked.py::test_loose is not a valid check: "
                                 "it needs a stage mark (0, 1, 2, 3, 4, 5, bonus) and a points mark"]
    assert grading["stages"][0]["checks"] == []


def test_a_missing_check_folder_is_a_grader_failure_with_a_valid_report(tmp_path):
    grading = validate(api.grade(toy_folder(tmp_path / "s"), checks=tmp_path / "nowhere"))
    assert grading["score"] == 0 and grading["errors"]
    assert "pytest could not run the checks" in grading["errors"][0]


def test_the_failure_document_validates_and_says_why(tmp_path):
    document = report.failure_document(folder=toy_folder(tmp_path / "s"), student_id=None, stages=None,
                                       message="the grader itself failed: boom", budget_s=120.0)
    grading = validate(document)
    assert grading["errors"][0] == "the grader itself failed: boom" and grading["score"] == 0


@pytest.mark.parametrize("call, message", [
    (lambda tmp: api.grade(tmp / "absent"), "there is no folder"),
    (lambda tmp: api.grade(tmp), "it is not a submission folder"),
    (lambda tmp: api.grade("reference", stages=["6"]), "unknown stage 6"),
    (lambda tmp: api.grade("reference", stages=[]), "no stage selected"),
    (lambda tmp: api.grade("reference", budget_s=0), "time budget"),
])
def test_bad_arguments_are_usage_errors(tmp_path, call, message):
    with pytest.raises(api.UsageError, match=message):
        call(tmp_path)


def test_the_kit_version_is_the_projects():
    import tomllib
    assert __version__ == tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["project"]["version"]


# ---- with the kit's real checks ----

def test_the_reference_scores_100(tmp_path):
    path = tmp_path / "report.json"
    grading = validate(api.grade("reference", report_path=path))
    assert grading["errors"] == []
    assert (grading["score"], grading["max_score"]) == (100, 100), [
        (c["nodeid"], c["message"]) for s in grading["stages"] for c in s["checks"] if c["outcome"] != "passed"]
    assert validate(json.loads(path.read_text())) == report.portable({"grading": grading})["grading"]


def test_the_pristine_stubs_score_0_with_every_stage_not_implemented(pristine_stubs):
    grading = validate(api.grade(pristine_stubs))
    assert grading["score"] == 0 and grading["errors"] == []
    for stage in grading["stages"]:
        if stage["id"] != "bonus":
            assert {c["outcome"] for c in stage["checks"]} == {"not_implemented"}, stage["id"]


def test_a_partly_done_folder_scores_exactly_its_finished_stages(tmp_path, pristine_stubs):
    folder = toy_folder(tmp_path / "partial", source=pristine_stubs)
    for name in ("engine.py", "derivatives.py"):
        (folder / name).write_text((KIT_ROOT / "reference" / name).read_text())
    grading = validate(api.grade(folder, stages=["0", "1", "2", "3", "4", "5"]))
    assert {s["id"]: s["score"] for s in grading["stages"]} == {
        "0": 10, "1": 20, "2": 20, "3": 20, "4": 0, "5": 0}


def test_the_report_never_records_a_full_local_path(tmp_path):
    folder = toy_folder(tmp_path / "my-work")
    grading = validate(api.grade(folder, stages=["0"], checks=toy_checks()))
    assert grading["impl"]["path"] == "my-work"
    assert str(tmp_path) not in json.dumps(grading)
    assert report.shown_path(KIT_ROOT / "student") == "student"
    assert report.shown_path(KIT_ROOT / "tests" / "corpus") == "tests/corpus"


def test_the_written_report_holds_no_path_of_this_machine(tmp_path, pristine_stubs):
    """Handed in, a report must not say where the kit, the interpreter or the home folder are:
    docs links into the built site, pytest's own tracebacks and its root are written relative."""
    folder = toy_folder(tmp_path / "work", source=pristine_stubs)
    document = api.grade(folder, stages=["0", "5"])
    assert any(c["docs"] for s in document["grading"]["stages"] for c in s["checks"])
    report.write(document, tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    validate(json.loads(text))
    for local in {str(KIT_ROOT), KIT_ROOT.as_uri(), sys.prefix, sys.base_prefix, str(Path.home())} - {"/"}:
        assert local not in text, local
    assert json.loads(text)["grading"]["stages"][0]["docs"] in (
        document["grading"]["stages"][0]["docs"], "site/stages/0-derivatives.html")


@pytest.mark.parametrize("mode", ["os", "user"])
def test_the_hashes_are_of_the_bytes_the_workers_graded(tmp_path, monkeypatch, mode):
    """A file changed while the grade runs does not change what the report says was graded."""
    isolation_modes.use(mode, monkeypatch)
    folder = toy_folder(tmp_path / "work")
    graded = hashlib.sha256((folder / "engine.py").read_bytes()).hexdigest()

    def change_engine(stage, flagged):  # after stage 1, whose workers graded the copy
        (folder / "engine.py").write_text("# written after the copy was graded\n")

    grading = validate(api.grade(folder, stages=["1"], progress=change_engine))
    assert grading["isolation"] == mode and grading["score"] == 20
    assert grading["impl"]["files"]["engine.py"] == graded
