"""What a student reads in the terminal: key lines of the rendering, not a full snapshot.

Documents come from real grades with the stand-in check suite; rendering is
a pure function of the report, so one grade serves many assertions.
"""

import io

import pytest
from runner_support import toy_checks, toy_folder

from grader import api
from grader.stages import STAGES, docs_url
from grader.terminal import Style, render, style_for

EVERYTHING_WRONG = {
    "1/first": "fail", "1/second": "not_implemented", "2/first": "raise", "2/second": "timeout",
    "3/first": "crash", "4/first": "import", "bonus/first": "skip",
    "flags": [{"module": "train", "reason": "train.py reads reference/train.py"}],
}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    folder = toy_folder(tmp_path_factory.mktemp("mixed"), EVERYTHING_WRONG)
    return api.grade(folder, checks=toy_checks(), student_id="s42")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    behaviours = {f"{s.id}/{n}": "not_implemented" for s in STAGES for n in ("first", "second")}
    behaviours["bonus/first"] = "skip"
    return api.grade(toy_folder(tmp_path_factory.mktemp("stubs"), behaviours), checks=toy_checks())


def block(text, title):
    """The lines of the fix block whose first line contains ``title``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if title in line)
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_pristine_stubs_read_not_implemented_with_where_to_start_and_no_traceback(pristine):
    text = render(pristine)
    for stage in STAGES[:-1]:
        row = next(i for i, line in enumerate(text.splitlines()) if line.startswith(f"  Stage {stage.id} "))
        assert text.splitlines()[row].endswith("not implemented yet")
        assert text.splitlines()[row + 1].strip() == f"start at {docs_url(stage.page)}"
    assert "Traceback" not in text and "What to fix" not in text
    assert "\n              torch is not installed\n" in text
    assert text.rstrip().splitlines()[-1] == "Total 0/100"


def test_a_failed_check_shows_what_was_expected_got_the_case_the_hint_and_the_link(mixed):
    lines = block(render(mixed), "Stage 1 — the first toy check of stage 1")
    assert lines[0] == "✗ Stage 1 — the first toy check of stage 1  (0 of 17 points)"
    assert [line.split()[0] for line in lines[1:] if not line.startswith(" " * 14)] == [
        "problem", "expected", "got", "case", "hint", "docs"]
    assert "    expected  2.0" in lines and "    got       1.0" in lines
    assert "    case      f(a) = a + a  at a=3.0" in lines
    assert lines[-1] == "    docs      " + docs_url("stages/2-backward-rules.html#assign-not-accumulate")


def test_each_kind_of_trouble_reads_as_what_happened(mixed):
    text = render(mixed)
    assert block(text, "✗ Stage 1: not implemented yet")[1:] == [
        "    checks    second", "    start at  " + docs_url("stages/1-forward-pass.html")]
    assert "your code raised ZeroDivisionError: float division by zero (in engine.py," in text
    assert "your code did not finish" in text and "#timed-out" in text
    assert "the process running your code ended" in text and "#crashed" in text
    assert "engine.py could not be imported: SyntaxError" in text and "#import-failed" in text
    flagged = block(text, "✗ train.py is flagged: stage 5 scores 0")
    assert flagged[1] == "    why       train.py reads reference/train.py" and "#used-reference" in flagged[-1]
    assert "Stage 5 —" not in text  # a flagged stage's checks are moot


def test_the_summary_fits_one_screen_and_the_output_ends_with_the_total_and_the_report(mixed):
    text = render(mixed, report_path="reports/grade-report.json")
    summary = text.split("What to fix")[0].rstrip().splitlines()
    assert len(summary) <= 20 and max(map(len, summary)) <= 100
    assert summary[0] == "micrograd-kit 0.1.0 — grading " + mixed["grading"]["impl"]["path"] + " — student s42"
    assert "  Stage 1     The forward pass                 0/20  ░░░░░░░░░░  ✗✗" in summary
    assert "  Stage 3     Backpropagation                  3/20  ██░░░░░░░░  ✗✓" in summary
    assert text.rstrip().splitlines()[-1] == "Total 16/100   report: reports/grade-report.json"


def test_checks_that_failed_the_same_way_are_said_once(tmp_path):
    folder = toy_folder(tmp_path, {"1/first": "import", "2/first": "import", "2/second": "import"})
    text = render(api.grade(folder, stages=["1", "2"], checks=toy_checks()))
    lines = block(text, "failed the same way")
    assert lines[0] == "✗ 3 checks of stages 1, 2 failed the same way  (0 of 37 points)"
    assert lines[1] == "    checks    first, first, second"
    assert text.count("could not be imported") == 1


def test_tracebacks_only_when_verbose(mixed):
    assert "ZeroDivisionError: boom" not in render(mixed)
    assert "ZeroDivisionError: boom" in render(mixed, verbose=True)


def test_ascii_and_colour_styles(mixed):
    plain = render(mixed, style=Style(color=False, unicode=False))
    assert plain.isascii() and "\x1b[" not in plain
    assert "x Stage 1 -- the first toy check of stage 1" in plain
    assert "\x1b[" in render(mixed, style=Style(color=True))


def test_grader_failures_and_unrun_checks_are_said_plainly(tmp_path):
    folder = toy_folder(tmp_path, {"0/first": "grader_bug", "1/first": "sleep"})
    text = render(api.grade(folder, stages=["0", "1"], checks=toy_checks(), budget_s=3.0))
    assert "The grader itself failed (a problem in the kit, not in your code" in text
    assert "· 1 check not run: the grading time budget (3 s) was used up before this check" in text


class Stream(io.StringIO):
    def __init__(self, encoding, tty):
        super().__init__()
        self._encoding, self._tty = encoding, tty

    @property
    def encoding(self):
        return self._encoding

    def isatty(self):
        return self._tty


@pytest.mark.parametrize("encoding, tty, no_color, expected", [
    ("utf-8", True, None, Style(color=True, unicode=True)),
    ("UTF8", False, None, Style(color=False, unicode=True)),
    ("utf-8", True, "1", Style(color=False, unicode=True)),
    ("ascii", True, None, Style(color=True, unicode=False)),
    ("cp1252", False, None, Style(color=False, unicode=False)),
])
def test_the_style_follows_the_terminal(monkeypatch, encoding, tty, no_color, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    if no_color:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert style_for(Stream(encoding, tty)) == expected
