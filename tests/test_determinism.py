"""The same submission graded five times gets the same ``grading``, timings apart.

A small buggy submission (the usual backward-rule mistakes, a wrong hand
derivative) over two stages, so hypothesis has failing cases to find and
shrink: the examples, the smallest failing case shown, the messages and the
scores must come out identical every run.
"""

import difflib
import json
import shutil

from grader import api
from grader.sandbox import REFERENCE_DIR

BUGS = {
    "engine.py": '''

def _pow_backward_without_the_minus_one(out):
    (self,), other = out._prev, out._saved
    self.grad += other * self.data ** other * out.grad


def _tanh_backward_without_the_square(out):
    (self,), t = out._prev, out.data
    self.grad += (1 - t) * out.grad


_BACKWARD_RULES["**"] = _pow_backward_without_the_minus_one
_BACKWARD_RULES["tanh"] = _tanh_backward_without_the_square
''',
    "derivatives.py": '''

_honest = lecture_gradients


def lecture_gradients():
    return {**_honest(), "a": 6.0 + 1.0}
''',
}


def test_five_gradings_of_the_same_submission_are_identical_but_for_timing(tmp_path):
    folder = tmp_path / "buggy"
    shutil.copytree(REFERENCE_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name, tail in BUGS.items():
        with open(folder / name, "a") as f:
            f.write(tail)
    gradings = []
    for _ in range(5):
        grading = api.grade(folder, stages=["0", "2"])["grading"]
        gradings.append(json.dumps({k: v for k, v in grading.items() if k != "timing"}, sort_keys=True, indent=1))
    assert 0 < json.loads(gradings[0])["score"] < 30  # the bugs cost points, the rest earns them
    for other in gradings[1:]:
        assert other == gradings[0], "\n".join(difflib.unified_diff(
            gradings[0].splitlines(), other.splitlines(), "first run", "a later run", lineterm=""))
