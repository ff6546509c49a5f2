"""What the feedback says, word for word where a wording was once wrong."""

from grading_support import grade_folder
from test_corpus import BASE, MUTATIONS, assemble

from grader import exprs


def test_a_case_formula_never_names_its_function_like_an_input():
    lecture = exprs.parse("(a*b + c)*f", "abcf")
    assert exprs.describe(lecture, [2.0, -3.0, 10.0, -2.0]) == "g(a, b, c, f) = (a*b + c)*f  at a=2.0, b=-3.0, c=10.0, f=-2.0"
    assert exprs.render(exprs.parse("a*b", "ab")) == "f(a, b) = a*b"


def test_a_loss_that_first_differs_at_step_2_says_step_1_matches(tmp_path):
    mutation = next(m for m in MUTATIONS if m["name"] == "zero_grad after backward")
    folder = assemble(BASE, tmp_path / "buggy")
    path = folder / f"{mutation['module']}.py"
    path.write_text(path.read_text().replace(mutation["find"], mutation["replace"]))
    grading = grade_folder(folder, stages=["5"])["grading"]
    messages = [c["message"] for s in grading["stages"] for c in s["checks"] if c["message"]]
    assert any("at step 2 of" in m and "(step 1 matches)" in m for m in messages), messages
    assert not any("steps 1 to 1" in m for m in messages)
