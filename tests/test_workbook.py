"""The starter notebook and ``%grade``: run headless on a real Jupyter kernel, as JupyterLab runs them.

Each run works on a copy of the kit (``grader/``, ``reference/``, the
workbook, and a ``student/`` holding either the pristine stubs or the
reference's files), so grading it writes that copy's report, never the
kit's. The kernel starts in ``student/`` with the kit's root on its path,
as under ``nox -s lab``.
"""

import html
import json
import os
import re
import shutil
import sys

import pytest

from conftest import KIT_ROOT, pristine_stub_sources

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

WORKBOOK = KIT_ROOT / "student" / "workbook.ipynb"
MODULES = ("__init__.py", "engine.py", "nn.py", "train.py", "derivatives.py")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def make_kit(tmp_path, student_files):
    """A copy of the kit whose student/ holds ``student_files`` ({name: source})."""
    kit = tmp_path / "kit"
    for folder in ("grader", "reference"):
        shutil.copytree(KIT_ROOT / folder, kit / folder, ignore=IGNORE)
    (kit / "student").mkdir()
    for name, source in student_files.items():
        (kit / "student" / name).write_text(source)
    shutil.copy2(WORKBOOK, kit / "student" / "workbook.ipynb")
    return kit


def run(kit, notebook, allow_errors=False):
    """Execute a notebook on a fresh kernel in ``kit/student``, in place; return it.

    Without ``allow_errors`` the first failing cell raises CellExecutionError.
    """
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3", allow_errors=allow_errors,
                                     resources={"metadata": {"path": str(kit / "student")}})
    client.execute(env={**os.environ, "PYTHONPATH": str(kit), "MICROGRAD_KIT_DOCS": "http://127.0.0.1:8000/"})
    return notebook


def workbook(kit):
    return nbformat.read(kit / "student" / "workbook.ipynb", as_version=4)


def cells(*sources):
    """A notebook of code cells."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def outputs(notebook, kind):
    """Every output of one kind: "text" (printed and error streams) or "html" (displayed HTML)."""
    found = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if kind == "text" and out.output_type == "stream":
                found.append(out.text)
            elif kind == "html" and "text/html" in out.get("data", {}):
                found.append(out.data["text/html"])
    return found


def last_report(kit):
    return json.loads((kit / "reports" / "grade-report.json").read_text())


def test_the_workbook_is_a_clean_starter_notebook():
    notebook = nbformat.read(WORKBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code), "shipped with outputs"
    sources = "\n".join(cell.source for cell in code)
    assert "%autoreload 2" in sources and "from student.engine import Value" in sources
    assert code[-1].source.splitlines() == ["%load_ext grader", "%grade"]


def test_on_the_stubs_every_cell_runs_and_points_to_the_pages(tmp_path):
    kit = make_kit(tmp_path, pristine_stub_sources())
    notebook = run(kit, workbook(kit))  # a failing cell raises CellExecutionError
    printed = "".join(outputs(notebook, "text"))
    assert "Value.__mul__ is not written yet" in printed
    assert "http://127.0.0.1:8000/stages/1-forward-pass.html" in printed
    assert "MLP.__init__ is not written yet" in printed
    assert "Traceback" not in printed
    assert len(outputs(notebook, "html")) == 1  # the grade, shown
    grading = last_report(kit)["grading"]
    assert grading["score"] == 0 and grading["errors"] == []


def test_on_the_reference_the_lecture_numbers_come_out_and_the_grade_is_full(tmp_path):
    reference = {name: (KIT_ROOT / "reference" / name).read_text() for name in MODULES}
    kit = make_kit(tmp_path, reference)
    notebook = run(kit, workbook(kit))
    printed = "".join(outputs(notebook, "text"))
    assert "not written yet" not in printed and "raised an error" not in printed
    assert "L = -8.0" in printed
    for line in ("a: data    2.0   grad    6.0", "b: data   -3.0   grad   -4.0", "f: data   -2.0   grad    4.0"):
        assert line in printed
    assert "o = 0.7071" in printed and "w1: grad  1.0000" in printed
    assert "slope of f at 3: 14.000000" in printed
    assert "41 parameters" in printed
    assert len(outputs(notebook, "html")) == 1
    grading = last_report(kit)["grading"]
    assert grading["score"] == 100 and grading["errors"] == []
    assert grading["impl"]["path"] == "student"  # relative to the kit: a report never holds a local path


def test_grade_one_stage_shows_the_html_report_framed_and_writes_it(tmp_path):
    """``%grade 1``: the HTML report, written beside the JSON one as ``nox -s grade`` writes it,
    shows in the cell inside a frame, so that its styles cannot restyle JupyterLab."""
    kit = make_kit(tmp_path, pristine_stub_sources())
    notebook = run(kit, cells("%load_ext grader", "%grade 1"))
    [frame] = [out.data["text/html"] for out in notebook.cells[1].outputs if "text/html" in out.get("data", {})]
    written = (kit / "reports" / "grade-report.html").read_text(encoding="utf-8")
    srcdoc = re.match(r'<iframe title="Grade report" srcdoc="([^"]*)"', frame)
    assert srcdoc and html.unescape(srcdoc[1]) == written and "<title>Grade report: 0 of 20</title>" in written
    assert "<style" not in frame.replace(srcdoc[1], "")  # nothing unframed
    assert last_report(kit)["grading"]["selected_stages"] == ["1"]


def test_grade_without_an_html_page_shows_the_terminal_text_and_bad_stages_are_one_line(tmp_path):
    """Where the HTML report cannot be written (here a folder stands in its place) the cell shows
    the terminal's text, links clickable; a stage that does not exist is one line, no traceback."""
    kit = make_kit(tmp_path, pristine_stub_sources())
    (kit / "reports" / "grade-report.html").mkdir(parents=True)
    notebook = run(kit, cells("%load_ext grader", "%grade 0", "%grade 7 x"), allow_errors=True)
    shown = [out.data["text/html"] for out in notebook.cells[1].outputs if "text/html" in out.get("data", {})]
    warned = "".join(out.text for out in notebook.cells[1].outputs if out.get("name") == "stderr")
    [text] = shown
    assert text.startswith('<pre class="micrograd-kit-grade">') and "Stage 0" in text and "Stage 1" not in text
    assert "Total 0/10 " in text and 'href="http://127.0.0.1:8000/stages/0-derivatives.html"' in text
    assert "the JSON report is written, but the HTML report" in warned
    assert last_report(kit)["grading"]["selected_stages"] == ["0"]
    [error] = notebook.cells[2].outputs
    assert error.output_type == "stream" and error.name == "stderr"  # IPython's way with a UsageError
    assert error.text.startswith("UsageError: %grade: there is no stage 7, x.") and error.text.count("\n") == 1


def test_loading_the_grader_package_does_not_import_ipython():
    import subprocess
    probe = "import sys, grader; print('IPython' in sys.modules, callable(grader.load_ipython_extension))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=KIT_ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
