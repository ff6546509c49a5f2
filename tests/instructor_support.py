"""Helpers for the instructor tools' tests: grading a folder for real, making zips."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import KIT_ROOT, pristine_stub_sources

PACKAGE_FILES = ("__init__.py", "engine.py", "nn.py", "train.py", "derivatives.py")
FAST_STAGES = ("0", "4")  # quick to grade: enough where the point is the plumbing, not the scores


def grader(*args, timeout=240, env=None):
    """``python -m grader ARGS`` in a real process, from the kit's root."""
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, NO_COLOR="1", **(env or {})))


def grade(folder, report, *args):
    finished = grader("--impl", folder, "--report", report, *args)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return json.loads(report.read_text())


def make_zip(path, files):
    """A zip holding ``files`` (archive name -> text or bytes), written as given."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def folder_files(folder, prefix=""):
    return {prefix + name: (folder / name).read_bytes() for name in PACKAGE_FILES if (folder / name).exists()}


@pytest.fixture(scope="session")
def graded_reference(tmp_path_factory):
    """A copy of reference/ and its full report for student s-ref: what a finished student hands in."""
    root = tmp_path_factory.mktemp("graded-reference")
    folder = root / "student"
    shutil.copytree(KIT_ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    report = root / "reports" / "grade-report.json"
    grade(folder, report, "--student-id", "s-ref")
    return folder, report


def stub_folder(folder):
    folder.mkdir(parents=True)
    for name, text in pristine_stub_sources().items():
        (folder / name).write_text(text)
    return folder
