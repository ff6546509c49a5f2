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


def packed_report(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("reports/grade-report.json")), archive.read("student/nn.py")


def test_files_changed_since_the_report_are_graded_again_before_packing(graded_reference, tmp_path):
    folder, report = copy_work(graded_reference, tmp_path)
    with open(folder / "nn.py", "a") as f:
        f.write("\n# one more line\n")
    finished = submit(folder, report, tmp_path / "dist")
    assert finished.returncode == 0, finished.stderr
    assert "your files changed since the latest report (nn.py), so your files are graded first" in finished.stdout
    assert "Total 100/100" in finished.stdout  # the grade, shown as nox -s grade shows it
    document, nn = packed_report(tmp_path / "dist" / "submission-s-ref.zip")
    assert nn == (folder / "nn.py").read_bytes()
    assert document["grading"]["student_id"] == "s-ref" and document == json.loads(report.read_text())
    assert document["grading"]["impl"]["files"]["nn.py"] != json.loads(
        graded_reference[1].read_text())["grading"]["impl"]["files"]["nn.py"]


def test_without_a_report_the_files_are_graded_under_the_id_given(graded_reference, tmp_path):
    folder, _ = copy_work(graded_reference, tmp_path)
    report = tmp_path / "fresh" / "grade-report.json"
    finished = submit(folder, report, tmp_path / "dist", "--student-id", "s-new")
    assert finished.returncode == 0, finished.stderr
    assert "there is no grade report yet" in finished.stdout and "Traceback" not in finished.stderr
    document, _ = packed_report(tmp_path / "dist" / "submission-s-new.zip")
    assert document["grading"]["student_id"] == "s-new"
    assert document["grading"]["score"] == 100


def test_a_report_of_some_stages_only_is_replaced_by_a_full_grade(graded_reference, tmp_path):
    folder, report = copy_work(graded_reference, tmp_path)
    document = json.loads(report.read_text())
    document["grading"]["selected_stages"] = ["0", "1"]
    report.write_text(json.dumps(document))
    finished = submit(folder, report, tmp_path / "dist")
    assert finished.returncode == 0, finished.stderr
    assert "does not cover stages 2, 3, 4, 5" in finished.stdout
    packed, _ = packed_report(tmp_path / "dist" / "submission-s-ref.zip")
    assert packed["grading"]["selected_stages"] == [s for s in ("0", "1", "2", "3", "4", "5", "bonus")]


def test_the_report_in_the_zip_always_names_the_student(graded_reference, tmp_path):
    folder, report = copy_work(graded_reference, tmp_path)
    other = submit(folder, report, tmp_path / "dist", "--student-id", "someone-else")
    assert other.returncode == 0, other.stderr
    assert packed_report(tmp_path / "dist" / "submission-someone-else.zip")[0]["grading"]["student_id"] == \
        "someone-else"

    document = json.loads(report.read_text())
    document["grading"]["student_id"] = None  # graded with no id: the old flow's zip said null
    report.write_text(json.dumps(document))
    nobody = submit(folder, report, tmp_path / "dist", env={"MICROGRAD_KIT_STUDENT_ID": ""})
    assert nobody.returncode == 2 and "nox -s submit -- --student-id YOUR_ID" in nobody.stderr

    from_env = submit(folder, report, tmp_path / "dist", env={"MICROGRAD_KIT_STUDENT_ID": "s-env"})
    assert from_env.returncode == 0, from_env.stderr
    assert packed_report(tmp_path / "dist" / "submission-s-env.zip")[0]["grading"]["student_id"] == "s-env"

    unsafe = submit(folder, report, tmp_path / "dist", "--student-id", "../../etc/x")
    assert unsafe.returncode == 2 and "not a usable student id" in unsafe.stderr
