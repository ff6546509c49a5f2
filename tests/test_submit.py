"""`nox -s submit`: the student's files and the report that graded them, checked, in one zip."""

import json
import shutil
import zipfile

from instructor_support import PACKAGE_FILES, graded_reference, grader  # noqa: F401 (fixture)


def copy_work(graded, tmp_path):
    """The finished student's folder and report, copied so a test may change them."""
    folder, report = graded
    shutil.copytree(folder.parent, tmp_path / "kit")
    return tmp_path / "kit" / "student", tmp_path / "kit" / "reports" / "grade-report.json"


def submit(folder, report, out, *args, env=None):
    return grader("submit", "--impl", folder, "--report", report, "--out", out, *args, env=env)


def test_submit_packs_the_files_and_the_report_under_the_student_id(graded_reference, tmp_path):
    folder, report = graded_reference
    finished = submit(folder, report, tmp_path / "dist")
    assert finished.returncode == 0, finished.stderr
    path = tmp_path / "dist" / "submission-s-ref.zip"
    assert "submission-s-ref.zip" in finished.stdout
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"student/{name}" for name in PACKAGE_FILES] + ["reports/grade-report.json"])
        assert archive.read("student/engine.py") == (folder / "engine.py").read_bytes()
        assert json.loads(archive.read("reports/grade-report.json")) == json.loads(report.read_text())
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary file left behind


def test_files_changed_since_the_report_are_refused_with_what_to_do(graded_reference, tmp_path):
    folder, report = copy_work(graded_reference, tmp_path)
    with open(folder / "nn.py", "a") as f:
        f.write("\n# one more line\n")
    finished = submit(folder, report, tmp_path / "dist")
    assert finished.returncode == 1
    assert "nn.py" in finished.stderr and "nox -s grade" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "dist").exists()


def test_without_a_report_the_student_is_told_to_grade_first(graded_reference, tmp_path):
    folder, _ = graded_reference
    finished = submit(folder, tmp_path / "reports" / "grade-report.json", tmp_path / "dist")
    assert finished.returncode == 1
    assert "nox -s grade" in finished.stderr and "Traceback" not in finished.stderr


def test_a_report_of_some_stages_only_is_refused(graded_reference, tmp_path):
    folder, report = copy_work(graded_reference, tmp_path)
    document = json.loads(report.read_text())
    document["grading"]["selected_stages"] = ["0", "1"]
    report.write_text(json.dumps(document))
    finished = submit(folder, report, tmp_path / "dist")
    assert finished.returncode == 1
    assert "stage(s) 2, 3, 4, 5" in finished.stderr


def test_student_id_comes_from_the_report_option_or_environment_and_must_agree(graded_reference, tmp_path):
    folder, report = copy_work(graded_reference, tmp_path)
    clash = submit(folder, report, tmp_path / "dist", "--student-id", "someone-else")
    assert clash.returncode == 1 and "s-ref" in clash.stderr

    document = json.loads(report.read_text())
    document["grading"]["student_id"] = None
    report.write_text(json.dumps(document))
    nobody = submit(folder, report, tmp_path / "dist", env={"MICROGRAD_KIT_STUDENT_ID": ""})
    assert nobody.returncode == 2 and "--student-id" in nobody.stderr

    from_env = submit(folder, report, tmp_path / "dist", env={"MICROGRAD_KIT_STUDENT_ID": "s-env"})
    assert from_env.returncode == 0, from_env.stderr
    assert (tmp_path / "dist" / "submission-s-env.zip").is_file()

    unsafe = submit(folder, report, tmp_path / "dist", "--student-id", "../../etc/x")
    assert unsafe.returncode == 2 and "not a usable student id" in unsafe.stderr
