"""PrairieLearn: the question folder it expects, and a results.json for every submission.

Each grading job runs as PrairieLearn's external grader runs it: ``tests/run.sh``
in a folder laid out as ``/grade`` (``$PL_GRADE_ROOT``), with a Python that has
none of the grader's dependencies where there is one, so the question's own
``tests/vendor`` must carry them.
"""

import json
import os
import shutil
import stat
import subprocess
import sys

import jsonschema
import pytest

from conftest import KIT_ROOT
from instructor_support import FAST_STAGES, folder_files, grader, stub_folder

RESULTS_SCHEMA = {  # results.json as PrairieLearn's external grading documentation describes it
    "type": "object",
    "required": ["gradable", "score", "message", "tests"],
    "properties": {
        "gradable": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string", "minLength": 1},
        "output": {"type": "string"},
        "format_errors": {"type": "array", "items": {"type": "string"}},
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "points", "max_points", "message", "output"],
            "properties": {"name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
                           "points": {"type": "number", "minimum": 0}, "max_points": {"type": "number", "minimum": 0},
                           "message": {"type": "string"}, "output": {"type": "string"}},
            "additionalProperties": False,
        }},
    },
    "additionalProperties": False,
}
SECRET = "prairielearn-held-out-71ab"
TANH_BUG = ("self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t) * out.grad")


def bare_python():
    """A Python 3.11+ without pytest or hypothesis, as a grading image may be; else this one."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate):
            probe = subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 11)\n"
                                    "import importlib.util as u; assert not u.find_spec('pytest')"],
                                   capture_output=True)
            if probe.returncode == 0:
                return candidate
    return sys.executable


def build(folder, *args):
    finished = grader("prairielearn", "build", "--out", folder, "--docs-url", "https://course.example/mg/", *args)
    assert finished.returncode == 0, finished.stderr
    return folder


@pytest.fixture(scope="module")
def question(tmp_path_factory):
    # the tests are about the platform, not this machine: grade under the in-process guard too, if that is all
    return build(tmp_path_factory.mktemp("pl") / "micrograd", "--allow-self-check")


@pytest.fixture(scope="module")
def official_question(tmp_path_factory):
    """Held-out cases from a secret file, and no grading under the guard alone."""
    folder = tmp_path_factory.mktemp("pl-official")
    (folder / "secret.txt").write_text(SECRET + "\n")
    return build(folder / "micrograd", "--held-out-file", folder / "secret.txt", "--stage", "2")


def grading_job(tmp_path, question, files, **config):
    """A folder laid out as PrairieLearn lays out /grade: the question's tests/, the student's files."""
    root = tmp_path / "grade"
    shutil.copytree(question / "tests", root / "tests")
    (root / "student").mkdir(parents=True)
    for name, data in files.items():
        (root / "student" / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    if config:
        path = root / "tests" / "kit" / "prairielearn.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **config}))
    return root


def run_job(root, **env):
    environment = {"PATH": os.environ["PATH"], "PL_GRADE_ROOT": str(root), "PL_PYTHON": bare_python(), **env}
    finished = subprocess.run(["bash", str(root / "tests" / "run.sh")], cwd=root, capture_output=True, text=True,
                              timeout=300, env=environment)
    assert finished.returncode == 0, finished.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    for test in results["tests"]:
        assert test["points"] <= test["max_points"]
    return results, finished


def test_the_question_folder_has_what_prairielearn_needs(question):
    info = json.loads((question / "info.json").read_text())
    assert info["gradingMethod"] == "External" and info["type"] == "v3"
    assert info["externalGradingOptions"] == {"enabled": True, "image": "prairielearn/grader-python",
                                              "entrypoint": "/grade/tests/run.sh", "timeout": 180}
    html = (question / "question.html").read_text()
    assert '<pl-file-upload file-names="engine.py,nn.py,train.py,derivatives.py">' in html
    assert "<pl-external-grader-results>" in html and "{" not in html
    assert (question / "tests" / "run.sh").stat().st_mode & stat.S_IXUSR
    subprocess.run(["bash", "-n", str(question / "tests" / "run.sh")], check=True)
    kit, vendor = question / "tests" / "kit", question / "tests" / "vendor"
    assert (kit / "grader" / "cli.py").is_file() and (kit / "reference" / "engine.py").is_file()
    assert not (kit / "grader" / "instructor" / "held-out.secret").exists()
    assert json.loads((kit / "prairielearn.json").read_text())["allow_self_check"] is True
    for package in ("pytest", "_pytest", "hypothesis", "pluggy", "pytest_jsonreport"):
        assert (vendor / package).is_dir(), package
    assert not list(question.rglob("__pycache__"))


def test_the_reference_scores_one(tmp_path, question):
    results, _ = run_job(grading_job(tmp_path, question, folder_files(KIT_ROOT / "reference")))
    assert results["gradable"] is True and results["score"] == 1.0
    assert sum(t["max_points"] for t in results["tests"]) == 100
    assert all(t["points"] == t["max_points"] and t["message"] == "Passed." for t in results["tests"])
    assert "https://course.example/mg/stages/1-forward-pass.html" in results["output"]


def test_pristine_stubs_score_zero_with_feedback_on_every_check(tmp_path, question):
    stubs = folder_files(stub_folder(tmp_path / "stubs"))
    root = grading_job(tmp_path, question, stubs, stages=list(FAST_STAGES))
    results, _ = run_job(root)
    assert results["gradable"] is True and results["score"] == 0 and results["tests"]
    assert all(t["points"] == 0 and "https://course.example/mg/" in t["output"] for t in results["tests"])


def test_a_submission_without_the_kits_files_is_not_gradable_and_says_what_to_upload(tmp_path, question):
    results, _ = run_job(grading_job(tmp_path, question, {"notes.txt": "hello"}))
    assert results["gradable"] is False and results["tests"] == []
    assert "engine.py" in results["message"]


def test_when_python_is_too_old_or_missing_the_script_still_writes_the_result(tmp_path, question):
    results, finished = run_job(grading_job(tmp_path, question, folder_files(KIT_ROOT / "reference")),
                                PL_PYTHON="/bin/false")
    assert results["gradable"] is False and "Python 3.11" in results["message"]
    assert "not-gradable" in finished.stderr


def test_an_official_question_refuses_the_in_process_guard_alone_and_says_so(tmp_path, official_question):
    root = grading_job(tmp_path, official_question, folder_files(KIT_ROOT / "reference"))
    results, _ = run_job(root, MICROGRAD_KIT_ISOLATION="self-check")  # as on a machine with nothing better
    assert results["gradable"] is False and "--allow-self-check" in results["message"]
    assert "costs you no attempt" in results["message"]


def test_a_held_out_failure_shows_its_hint_never_its_case_nor_the_secret(tmp_path, official_question):
    secret_file = official_question / "tests" / "kit" / "grader" / "instructor" / "held-out.secret"
    assert secret_file.read_text().strip() == SECRET
    assert SECRET not in (official_question / "info.json").read_text()
    engine = (KIT_ROOT / "reference" / "engine.py").read_text()
    root = grading_job(tmp_path, official_question,
                       {**folder_files(KIT_ROOT / "reference"), "engine.py": engine.replace(*TANH_BUG)},
                       allow_self_check=True)  # this machine's isolation is not the point here
    results, finished = run_job(root)
    text = (root / "results" / "results.json").read_text()
    assert SECRET not in text + finished.stdout + finished.stderr
    assert results["gradable"] is True and 0 < results["score"] < 1
    failed = [t for t in results["tests"] if t["points"] < t["max_points"]]
    assert failed and "held-out cases" in results["output"]
    for test in failed:
        assert test["message"] == "Failed on a held-out case." and "Hint (" in test["output"]
        assert "Expected" not in test["output"] and "Failing case" not in test["output"]
