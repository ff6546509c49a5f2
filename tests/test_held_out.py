"""Held-out grading: property checks drawn from a secret, which no output ever holds."""

import json
import shutil

import pytest

from conftest import KIT_ROOT
from grader import api, held_out
from instructor_support import grader
from runner_support import validate

SECRET = "held-out-secret-8d1f"  # distinctive, so a leak into any output is found by a plain search

# A stand-in stage 0: a property check that records the cases hypothesis drew for it, and a fixed one.
RECORDING_CHECKS = {
    "__init__.py": "",
    "conftest.py": '''
import pytest


def pytest_addoption(parser):
    parser.addoption("--impl", default="student")
    parser.addoption("--isolation", default="auto")
''',
    "test_stage_0.py": '''
import os

import pytest
from hypothesis import example, given, settings, strategies as st

pytestmark = pytest.mark.stage("0")


@pytest.mark.points(5)
@settings(max_examples=8, derandomize=True, database=None)
@given(x=st.integers(0, 10**9))
@example(x=-1)
def test_draws(x):
    """records every case"""
    with open(os.environ["CASES_FILE"], "a") as f:
        f.write(f"{x}\\n")


@pytest.mark.points(5)
def test_fixed():
    """a check with no generated cases"""
''',
}


@pytest.fixture(scope="module")
def recording_checks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("held-out") / "recording_checks"
    folder.mkdir()
    for name, text in RECORDING_CHECKS.items():
        (folder / name).write_text(text)
    return folder


def cases(recording_checks, tmp_path, monkeypatch, secret):
    """The cases the recording check was given under ``secret`` (None: an ordinary grade)."""
    record = tmp_path / f"cases-{secret}.txt"
    record.unlink(missing_ok=True)
    monkeypatch.setenv("CASES_FILE", str(record))
    grading = validate(api.grade(KIT_ROOT / "reference", stages=["0"], checks=recording_checks, held_out=secret))
    assert grading["held_out"] is (secret is not None) and grading["score"] == 10, grading["errors"]
    return record.read_text().split()


def test_a_secret_draws_other_cases_the_same_every_time_and_explicit_examples_still_run(
        recording_checks, tmp_path, monkeypatch):
    ordinary = cases(recording_checks, tmp_path, monkeypatch, None)
    first = cases(recording_checks, tmp_path, monkeypatch, "one secret")
    again = cases(recording_checks, tmp_path, monkeypatch, "one secret")
    other = cases(recording_checks, tmp_path, monkeypatch, "another secret")
    assert first == again, "the same secret must draw the same cases (a regrade compares)"
    assert first[0] == other[0] == ordinary[0] == "-1", "the explicit example runs first, secret or not"
    generated = [frozenset(c[1:]) for c in (ordinary, first, other)]
    assert len(set(generated)) == 3, "each secret draws cases of its own, none the student's"
    assert len(generated[1] - generated[0]) >= 3  # hypothesis tries 0 under any seed; the rest differ
    # and a grade without a secret afterwards is the student's ordinary grade again
    assert cases(recording_checks, tmp_path, monkeypatch, None) == ordinary


def test_seeds_depend_on_the_secret_and_the_check():
    assert held_out.seed("a", "x.py::test_1") == held_out.seed("a", "x.py::test_1")
    assert len({held_out.seed("a", "x.py::test_1"), held_out.seed("b", "x.py::test_1"),
                held_out.seed("a", "x.py::test_2")}) == 3


@pytest.mark.parametrize("secret", ["", "   ", "two\nlines"])
def test_an_unusable_secret_is_a_usage_error(secret):
    with pytest.raises(api.UsageError, match="held-out secret"):
        api.grade(KIT_ROOT / "reference", stages=["0"], held_out=secret)


TANH_BUG = ("self.grad += (1 - t**2) * out.grad", "self.grad += (1 - t) * out.grad")


@pytest.fixture(scope="module")
def buggy(tmp_path_factory):
    """The reference with the tanh rule's classic mistake: the explicit examples catch it."""
    folder = tmp_path_factory.mktemp("held-out-buggy") / "buggy"
    shutil.copytree(KIT_ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    engine = folder / "engine.py"
    assert TANH_BUG[0] in engine.read_text()
    engine.write_text(engine.read_text().replace(*TANH_BUG))
    return folder


def test_the_command_line_takes_the_secret_and_no_output_holds_it(buggy, tmp_path):
    runs = {}
    for how, args, env in (("argument", ["--held-out", SECRET], None),
                           ("environment", [], {held_out.ENV: SECRET}),
                           ("ordinary", [], None)):
        report = tmp_path / how / "report.json"
        gradescope = tmp_path / how / "results.json"
        finished = grader("--impl", buggy, "--stage", "2", "--report", report, "--gradescope", gradescope,
                          *args, env=env)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        for text in (finished.stdout, finished.stderr, report.read_text(), gradescope.read_text()):
            assert SECRET not in text
        runs[how] = validate(json.loads(report.read_text()))
    assert runs["argument"]["held_out"] and runs["environment"]["held_out"] and not runs["ordinary"]["held_out"]

    def comparable(grading):
        return json.dumps({k: v for k, v in grading.items() if k not in ("timing", "held_out")}, sort_keys=True)

    assert comparable(runs["argument"]) == comparable(runs["environment"]), "the same secret, the same report"
    assert 0 < runs["argument"]["score"] < 20
    # the tanh mistake shows on an explicit example, which runs first whatever the secret
    failed = {c["name"]: c["case"] for s in runs["ordinary"]["stages"] for c in s["checks"] if c["case"]}
    held = {c["name"]: c["case"] for s in runs["argument"]["stages"] for c in s["checks"] if c["case"]}
    assert failed and failed == held
