"""The site shows the contract, whatever state the student's own files are in.

"What to implement" renders docs/contract/student/, the stubs as shipped, so
the site builds with a broken student/ and never shows a student's rewrite.
"""

import os
import shutil
import subprocess
import sys

from test_docs_build import page_html, page_text

from conftest import KIT_ROOT, MODULES, pristine_stub_sources

CONTRACT = KIT_ROOT / "docs" / "contract" / "student"
COPIED = ("docs", "mkdocs.yml", "reference", "student", "grader", "tests/corpus", "pyproject.toml")


def test_the_contract_is_the_shipped_stubs():
    shipped = pristine_stub_sources()
    for name in MODULES:
        assert (CONTRACT / name).read_text() == shipped[name], (
            f"docs/contract/student/{name} differs from the stub student/{name}: copy the stub there")


def test_the_site_builds_with_a_syntax_error_in_student_and_shows_the_pristine_contract(tmp_path):
    kit = tmp_path / "kit"
    for name in COPIED:  # a copy of the kit: the real student/ is never touched
        source = KIT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, kit / name, ignore=shutil.ignore_patterns("__pycache__", "site"))
        else:
            (kit / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, kit / name)
    engine = kit / "student" / "engine.py"
    engine.write_text("class Value:\n    def __add__(self, other)\n        return 42\n")  # a missing colon

    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(kit / "mkdocs.yml"), "-d", str(site)],
        cwd=kit, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    text = page_text(page_html(site, "stages/1-forward-pass.md"))
    assert "other may be a plain number (wrap it in a Value)" in text  # the stub's docstring, not 42
    assert "return 42" not in text
