"""Fixtures shared by the kit's tests."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KIT_ROOT = Path(__file__).resolve().parent.parent
if str(KIT_ROOT) not in sys.path:
    sys.path.insert(0, str(KIT_ROOT))

MODULES = ("__init__.py", "engine.py", "nn.py", "train.py", "derivatives.py")


def pristine_stub_sources():
    """The stubs as shipped (HEAD's student/), even after someone has started filling them in."""
    sources = {}
    for name in MODULES:
        shown = subprocess.run(["git", "show", f"HEAD:student/{name}"], cwd=KIT_ROOT,
                               capture_output=True, text=True)
        if shown.returncode != 0:  # not a git checkout: the working tree is all there is
            return {n: (KIT_ROOT / "student" / n).read_text() for n in MODULES}
        sources[name] = shown.stdout
    return sources


@pytest.fixture
def pristine_stubs(tmp_path):
    """A folder holding the pristine stubs, to grade or import."""
    folder = tmp_path / "pristine"
    folder.mkdir()
    for name, text in pristine_stub_sources().items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def reference_copy(tmp_path):
    """A copy of reference/ that a test may edit."""
    folder = tmp_path / "submission"
    shutil.copytree(KIT_ROOT / "reference", folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder
