"""The Gradescope autograder: the zip Gradescope expects, and a valid results.json whatever is submitted."""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import jsonschema
import pytest

from conftest import KIT_ROOT
from grader.instructor.gradescope import results_from
from instructor_support import (FAST_STAGES, PACKAGE_FILES, folder_files, graded_reference,  # noqa: F401
                                grader, make_zip, stub_folder)

VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
# results.json as Gradescope's autograder specification describes it
RESULTS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["score", "output", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string", "minLength": 1},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "number", "score", "max_score", "status", "output", "tags"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "number": {"type": "string", "pattern": r"^(\d|bonus)\.\d+(\.1)?$"},  # .1: a held-out case
                "score": {"type": "number", "minimum": 0},
                "max_score": {"type": "number", "minimum": 0},
                "status": {"enum": ["passed", "failed"]},
                "output": {"type": "string", "minLength": 1},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "visibility": VISIBILITY,
            },
            "additionalProperties": False,
        }},
    },
    "additionalProperties": False,
}


def valid_results(path):
    document = json.loads(path.read_text())
    jsonschema.validate(document, RESULTS_SCHEMA)
    for test in document["tests"]:
        assert test["score"] <= test["max_score"]
    return document


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "autograder.zip"
    # the tests are about the platform, not this machine: grade under the in-process guard too, if that is all
    finished = grader("gradescope", "build", "--out", path, "--docs-url", "https://course.example/mg/",
                      "--allow-self-check")
    assert finished.returncode == 0, finished.stderr
    return path


SECRET = "gradescope-held-out-5c2e"


@pytest.fixture(scope="module")
def held_out_zip(tmp_path_factory):
    """An official build: held-out cases from a secret file, and no grading under the guard alone."""
    build = tmp_path_factory.mktemp("held-out-build")
    (build / "secret.txt").write_text(SECRET + "\n")
    path = build / "autograder.zip"
    finished = grader("gradescope", "build", "--out", path, "--held-out-file", build / "secret.txt")
    assert finished.returncode == 0, finished.stderr
    assert SECRET not in finished.stdout + finished.stderr
    return path


def gradescope_root(tmp_path, autograder_zip, submission_files):
    """A folder laid out as Gradescope lays out /autograder, holding one submission."""
    root = tmp_path / "autograder"
    for sub in ("source", "submission", "results"):
        (root / sub).mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    for name, data in submission_files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def run_autograder(root, **env):
    env = {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable, **env}
    finished = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, capture_output=True, text=True,
                              timeout=300, env={**os.environ, **env})
    assert finished.returncode == 0, finished.stderr
    return valid_results(root / "results" / "results.json")


def with_stages(root, stages):
    """Configure the laid-out autograder to grade only ``stages`` (what ``build --stage`` does)."""
    config = root / "source" / "autograder.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "stages": list(stages)}))


def test_the_zip_has_what_gradescope_needs_and_nothing_else(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        pins = archive.read("requirements.txt").decode().split()
        config = json.loads(archive.read("autograder.json"))
    assert {"setup.sh", "run_autograder", "requirements.txt", "grader/cli.py",
            "reference/engine.py"} <= set(names)
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert {n.split("/")[0] for n in names if "/" in n} == {"grader", "reference"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert sorted(p.split("==")[0] for p in pins) == ["hypothesis", "pytest", "pytest-json-report",
                                                      "pytest-timeout"]
    assert all("==" in p for p in pins)
    assert config["docs_url"] == "https://course.example/mg/" and config["allow_self_check"] is True
    assert "grader/instructor/held-out.secret" not in names  # no secret given, none taken along
    subprocess.run(["bash", "-n", "-c", archive_text(autograder_zip, "setup.sh")], check=True)


def archive_text(path, name):
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode()


def test_the_reference_gets_full_marks_one_test_per_check(tmp_path, autograder_zip):
    root = gradescope_root(tmp_path, autograder_zip, folder_files(KIT_ROOT / "reference"))
    results = run_autograder(root)
    assert results["score"] == 100
    assert sum(t["max_score"] for t in results["tests"]) == 100
    assert all(t["status"] == "passed" for t in results["tests"])
    numbers = [t["number"] for t in results["tests"]]
    assert len(set(numbers)) == len(numbers) and numbers[0] == "0.1"
    assert "https://course.example/mg/stages/1-forward-pass.html" in results["output"]


def test_pristine_stubs_in_a_student_folder_score_zero_with_feedback(tmp_path, autograder_zip):
    root = gradescope_root(tmp_path, autograder_zip, folder_files(stub_folder(tmp_path / "stubs"), "student/"))
    with_stages(root, FAST_STAGES)
    results = run_autograder(root)
    assert results["score"] == 0 and results["tests"]
    assert {t["tags"][0] for t in results["tests"]} == {f"stage {s}" for s in FAST_STAGES}
    assert all(t["status"] == "failed" and "https://course.example/mg/" in t["output"] for t in results["tests"])
    assert "not started" in results["output"]


def test_a_syntax_error_costs_its_stage_only(tmp_path, autograder_zip, graded_reference):
    folder, _ = graded_reference
    root = gradescope_root(tmp_path, autograder_zip,
                           {**folder_files(folder), "derivatives.py": "def numerical_derivative(:\n"})
    with_stages(root, FAST_STAGES)
    results = run_autograder(root)
    by_stage = {}
    for test in results["tests"]:
        by_stage.setdefault(test["number"].split(".")[0], []).append(test)
    assert all(t["status"] == "failed" for t in by_stage["0"])
    assert all(t["status"] == "passed" for t in by_stage["4"])
    assert any("import" in t["output"].lower() for t in by_stage["0"])


def test_a_submission_without_the_kits_files_gets_zero_and_what_to_upload(tmp_path, autograder_zip):
    root = gradescope_root(tmp_path, autograder_zip, {"homework.pdf": b"%PDF-1.4"})
    results = run_autograder(root)
    assert results["score"] == 0 and results["tests"] == []
    assert "engine.py" in results["output"] and "nox -s submit" in results["output"]


def test_when_the_grader_itself_fails_the_student_still_gets_a_result(tmp_path, autograder_zip):
    root = gradescope_root(tmp_path, autograder_zip, folder_files(KIT_ROOT / "reference"))
    shutil.rmtree(root / "source" / "grader" / "checks")  # a broken autograder build
    results = run_autograder(root)
    assert results["score"] == 0 and "not a problem with your code" in results["output"]


def test_when_python_cannot_even_start_the_script_writes_the_result(tmp_path, autograder_zip):
    root = gradescope_root(tmp_path, autograder_zip, folder_files(KIT_ROOT / "reference"))
    results = run_autograder(root, AUTOGRADER_PYTHON="/bin/false")
    assert results["score"] == 0 and "tell your instructor" in results["output"]


def test_results_from_a_report_matches_its_scores(graded_reference):
    _, report = graded_reference
    document = json.loads(report.read_text())
    results = results_from(document)
    jsonschema.validate(results, RESULTS_SCHEMA)
    grading = document["grading"]
    assert results["score"] == grading["score"]
    for stage in grading["stages"]:
        tests = [t for t in results["tests"] if t["number"].startswith(stage["id"] + ".")]
        assert sum(t["score"] for t in tests) == pytest.approx(stage["score"])


TANH_BUG = ("self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t) * out.grad")


def test_a_held_out_failure_shows_its_hint_now_and_its_case_after_the_due_date(tmp_path, held_out_zip):
    with zipfile.ZipFile(held_out_zip) as archive:
        assert archive.read("grader/instructor/held-out.secret").decode().strip() == SECRET
        assert SECRET not in archive.read("autograder.json").decode()
        assert json.loads(archive.read("autograder.json"))["allow_self_check"] is False
    engine = (KIT_ROOT / "reference" / "engine.py").read_text()
    root = gradescope_root(tmp_path, held_out_zip,
                           {**folder_files(KIT_ROOT / "reference"), "engine.py": engine.replace(*TANH_BUG)})
    with_stages(root, ["2"])
    config = root / "source" / "autograder.json"  # this machine's isolation is not the point here
    config.write_text(json.dumps({**json.loads(config.read_text()), "allow_self_check": True}))
    results = run_autograder(root)
    assert SECRET not in (root / "results" / "results.json").read_text()
    failed = [t for t in results["tests"] if t["status"] == "failed" and not t["number"].endswith(".1")]
    assert failed and 0 < results["score"] < 20
    for test in failed:
        [case] = [t for t in results["tests"] if t["number"] == test["number"] + ".1"]
        assert "held-out case" in test["output"] and "Hint (" in test["output"]
        assert "Expected" not in test["output"] and "Failing case" not in test["output"]
        assert "visibility" not in test  # the hint: as visible as the rest
        assert case["visibility"] == "after_due_date" and case["max_score"] == 0
        assert "Expected" in case["output"] and "Failing case" in case["output"]


def test_an_official_build_refuses_the_in_process_guard_alone_and_says_so(tmp_path, held_out_zip):
    root = gradescope_root(tmp_path, held_out_zip, folder_files(KIT_ROOT / "reference"))
    results = run_autograder(root, MICROGRAD_KIT_ISOLATION="self-check")  # as on a machine with nothing better
    assert results["score"] == 0 and results["tests"] == []
    assert "not graded" in results["output"] and "--allow-self-check" in results["output"]
    assert "not a problem with your code" in results["output"]
