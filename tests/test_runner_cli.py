"""``python -m grader`` as users run it, in real subprocesses: exit statuses, messages, the report file.

Grades use the stand-in check suite (``runner_support``) so that what is
tested is the command line, whatever the real checks do.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from runner_support import KIT_ROOT, toy_checks, toy_folder, validate

from grader import cli


def grader(*args, env=None, timeout=60):
    environment = {k: v for k, v in os.environ.items() if k not in ("MICROGRAD_KIT_STUDENT_ID", "NO_COLOR")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=KIT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def toy_grade(tmp_path, *args, behaviours=None, env=None):
    """Grade a toy folder; return the process and where its report went."""
    folder = toy_folder(tmp_path / "submission", behaviours)
    report = tmp_path / "out" / "grade-report.json"
    done = grader("--checks", toy_checks(), "--impl", folder, "--report", report, *args, env=env)
    return done, report


@pytest.mark.parametrize("args, message", [
    (["--stage", "7"], "argument --stage: invalid choice: '7'"),
    (["--impl", "/no/such/folder"], "there is no folder /no/such/folder"),
    (["--impl", "grader/schema"], "it is not a submission folder"),
    (["--impl", "pyproject.toml"], "is a file"),
    (["--fail-under", "lots"], "argument --fail-under: invalid float value: 'lots'"),
    (["--time-budget", "-1"], "not a positive number of seconds"),
    (["--report", "grader"], "is a folder"),
    (["--student-id", "a\nb"], "one line of printable text"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["verify", "reports/none.json"], "the following arguments are required: --impl"),
    (["verify", "/no/such/report.json", "--impl", "reference"], "there is no report at /no/such/report.json"),
])
def test_usage_errors_exit_2_with_a_clear_message(args, message):
    done = grader(*args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_grade_writes_a_valid_report_and_exits_0(tmp_path):
    results = tmp_path / "gradescope" / "results.json"
    done, report = toy_grade(tmp_path, "--student-id", "s-001", "--gradescope", results)
    assert done.returncode == 0, done.stderr
    grading = validate(json.loads(report.read_text()))
    assert (grading["score"], grading["student_id"]) == (100, "s-001")
    total, page = done.stdout.rstrip().splitlines()[-2:]
    assert total == f"Total 100/100   report: {report}"
    assert page == f"HTML report: {report.with_suffix('.html')}   (add --open to open it)"
    assert sorted(report.parent.iterdir()) == [report.with_suffix(".html"), report]  # no temporary file left
    assert json.loads(results.read_text())["score"] == 100  # the same grade, in Gradescope's format


def test_fail_under_decides_the_exit_status_not_the_score(tmp_path):
    behaviours = {"1/first": "fail", "2/first": "fail"}
    done, report = toy_grade(tmp_path, behaviours=behaviours)
    assert done.returncode == 0 and validate(json.loads(report.read_text()))["score"] == 66
    assert toy_grade(tmp_path, "--fail-under", "66", behaviours=behaviours)[0].returncode == 0
    report.unlink()
    done, report = toy_grade(tmp_path, "--fail-under", "66.5", behaviours=behaviours)
    assert done.returncode == 1
    assert "The score 66 is below --fail-under 66.5." in done.stderr
    assert validate(json.loads(report.read_text()))["score"] == 66


def test_a_failure_of_the_grader_exits_3_and_still_writes_a_valid_report(tmp_path):
    done, report = toy_grade(tmp_path, behaviours={"3/first": "grader_bug"})
    assert done.returncode == 3
    assert "The grader itself failed" in done.stdout and "not in your code" in done.stdout
    grading = validate(json.loads(report.read_text()))
    assert grading["errors"] and grading["score"] == 83


def test_a_report_that_cannot_be_written_is_said_plainly(tmp_path):
    (tmp_path / "a-file").write_text("")
    done = grader("--checks", toy_checks(), "--impl", toy_folder(tmp_path / "s"), "--stage", "0",
                  "--report", tmp_path / "a-file" / "grade-report.json")
    assert done.returncode == 3
    assert "error: could not write the report to" in done.stderr and "Traceback" not in done.stderr


def test_the_student_id_comes_from_the_flag_or_else_the_environment(tmp_path):
    env = {"MICROGRAD_KIT_STUDENT_ID": "from-env"}
    done, report = toy_grade(tmp_path, "--stage", "0", env=env)
    assert json.loads(report.read_text())["grading"]["student_id"] == "from-env"
    assert "student from-env" in done.stdout.splitlines()[0]
    done, report = toy_grade(tmp_path, "--stage", "0", "--student-id", "from-flag", env=env)
    assert json.loads(report.read_text())["grading"]["student_id"] == "from-flag"
    done, report = toy_grade(tmp_path, "--stage", "0")
    assert json.loads(report.read_text())["grading"]["student_id"] is None


def test_only_the_selected_stages_are_graded_and_shown(tmp_path):
    folder, report = toy_folder(tmp_path / "submission"), tmp_path / "grade-report.json"
    done = grader("grade", "--stage", "bonus", "--stage", "2", "--stage", "2", "--checks", toy_checks(),
                  "--impl", folder, "--report", report)
    assert done.returncode == 0, done.stderr
    shown = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("  Stage ")]
    assert shown == ["2", "bonus"]
    grading = validate(json.loads(report.read_text()))
    assert grading["selected_stages"] == ["2", "bonus"] and grading["max_score"] == 20
    assert "Total 20/20 (stages 2, bonus)" in done.stdout


def test_a_killed_run_leaves_the_previous_report_whole(tmp_path):
    folder = toy_folder(tmp_path / "submission", {"1/first": "sleep"})
    report = tmp_path / "out" / "grade-report.json"
    report.parent.mkdir()
    report.write_text('{"previous": "good report"}')
    process = subprocess.Popen([sys.executable, "-m", "grader", "--checks", str(toy_checks()), "--impl",
                                str(folder), "--report", str(report)], cwd=KIT_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(2)  # well into the sleeping check
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert report.read_text() == '{"previous": "good report"}'
    assert list(report.parent.iterdir()) == [report]


def test_verify_accepts_a_true_report_and_names_what_differs_in_a_false_one(tmp_path):
    done, report = toy_grade(tmp_path, behaviours={"4/second": "fail"})
    folder = tmp_path / "submission"
    verify = ("verify", report, "--impl", folder, "--checks", toy_checks(), "--allow-self-check")
    done = grader(*verify)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MATCH" in done.stdout

    claimed = json.loads(report.read_text())
    claimed["grading"]["score"] = 100
    claimed["grading"]["stages"][4]["score"] = 15
    report.write_text(json.dumps(claimed))
    done = grader(*verify)
    assert done.returncode == 1
    assert "total: claimed 100, regraded 97" in done.stdout and "stage 4: claimed 15, regraded 12" in done.stdout

    report.write_text(json.dumps(json.loads(report.read_text()) | {"grading": claimed["grading"]}))
    (folder / "nn.py").write_text((folder / "nn.py").read_text() + "\n# edited after grading\n")
    done = grader(*verify)
    assert done.returncode == 1 and "nn.py: not the file the report graded" in done.stdout


def test_verify_refuses_what_is_not_a_report(tmp_path):
    (tmp_path / "r.json").write_text("{not json")
    done = grader("verify", tmp_path / "r.json", "--impl", "reference")
    assert done.returncode == 2 and "is not valid JSON" in done.stderr and "Traceback" not in done.stderr


def test_subcommands_reach_their_tools():
    done = grader("submit", "--help")
    assert done.returncode == 0 and "python -m grader submit" in done.stdout


def test_a_tool_this_copy_lacks_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setitem(cli.TOOLS, "collect", "grader.no_such_tool")
    assert cli.main(["collect", "submissions/"]) == 2
    assert "python -m grader collect: this copy of the kit has no grader/no_such_tool.py" in capsys.readouterr().err


def test_the_output_is_plain_ascii_without_colour_when_the_terminal_cannot_show_more(tmp_path):
    done, _ = toy_grade(tmp_path, behaviours={"1/first": "fail"}, env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii() and "\x1b[" not in done.stdout
    assert "x Stage 1 -- the first toy check of stage 1" in done.stdout


def test_verbose_adds_tracebacks(tmp_path):
    quiet, _ = toy_grade(tmp_path, behaviours={"2/first": "raise"})
    loud, _ = toy_grade(tmp_path, "--verbose", behaviours={"2/first": "raise"})
    assert "Traceback" not in quiet.stdout
    assert "traceback" in loud.stdout and "ZeroDivisionError: boom" in loud.stdout
