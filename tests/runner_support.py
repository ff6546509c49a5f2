"""What the runner's tests share: a stand-in check suite, and the report schema's validator.

The stand-in suite tests the grader's runner apart from the real checks.
It keeps the checks' contract (stage and points marks, ``CheckFailed``, the
sandbox's exceptions, a ``sandbox`` fixture running a real worker) and nothing
else: each stage has a check ``first`` and a check ``second`` sharing the
stage's points (the bonus has one check worth 0), and what each does is read
from ``toy.json`` in the graded folder, e.g. ``{"1/second": "fail"}``
(default: pass). One suite serves every test, written once per process, as
a package so that its modules never clash with other ``conftest`` modules.
"""

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path

import jsonschema

from conftest import KIT_ROOT
from grader.stages import STAGES

PACKAGE_FILES = ("__init__.py", "engine.py", "nn.py", "train.py", "derivatives.py")
SCHEMA = json.loads((KIT_ROOT / "grader" / "schema" / "grade-report.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def validate(document):
    """Fail with every schema violation listed; return the document's ``grading``."""
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return document["grading"]

CONFTEST = '''
import json
from pathlib import Path

import pytest

from grader.sandbox import Sandbox


def pytest_addoption(parser):
    parser.addoption("--impl", default="student")
    parser.addoption("--isolation", default="self-check")


@pytest.fixture(scope="session")
def behaviours(pytestconfig):
    path = Path(pytestconfig.getoption("impl")) / "toy.json"
    return json.loads(path.read_text()) if path.exists() else {}


class FlaggingSandbox:
    """A real sandbox that also reports the honesty flags toy.json lists."""

    def __init__(self, box, flags):
        self.box, self.flags = box, flags

    def call(self, *args, **kwargs):
        return self.box.call(*args, **kwargs)


@pytest.fixture(scope="session")
def sandbox(pytestconfig, behaviours):
    with Sandbox(pytestconfig.getoption("impl"), isolation=pytestconfig.getoption("isolation")) as box:
        yield FlaggingSandbox(box, behaviours.get("flags", []))
'''

ACTS = '''
import time

import pytest

from grader.feedback import CheckFailed
from grader.sandbox import Crashed, ImportFailed, NotImplementedYet, RaisedException, TimedOut

WHERE = {"file": "engine.py", "line": 42, "function": "__truediv__", "code": "return self * other**-1"}
TRACEBACK = "Traceback (most recent call last):\\n  File \\"engine.py\\", line 42\\nZeroDivisionError: boom\\n"


def act(name, sandbox):
    """Do what toy.json says this check does."""
    assert sandbox.call("ping") == "pong"  # every check talks to a real worker
    if name == "pass":
        return
    if name == "fail":
        raise CheckFailed("a + a: a.grad is wrong", expected=2.0, got=1.0, hint="assign-not-accumulate",
                          case="f(a) = a + a  at a=3.0")
    if name == "nan":
        raise CheckFailed("tanh gave nan", expected=0.5, got=float("nan"), hint="tanh-formula")
    if name == "group":
        raise ExceptionGroup("two bugs", [ValueError("noise"), CheckFailed("the grouped failure", hint="pow-rule")])
    if name == "assert":
        assert 1 == 2, "a plain assertion"
    if name == "not_implemented":
        raise NotImplementedYet("NotImplementedError: stage 1: Value.__add__",
                                {"type": "NotImplementedError", "message": "stage 1: Value.__add__",
                                 "where": WHERE, "traceback": TRACEBACK})
    if name == "raise":
        raise RaisedException("ZeroDivisionError: float division by zero",
                              {"type": "ZeroDivisionError", "message": "float division by zero",
                               "where": WHERE, "traceback": TRACEBACK})
    if name == "import":
        raise ImportFailed("engine.py could not be imported: SyntaxError: invalid syntax",
                           {"type": "SyntaxError", "where": {"file": "engine.py", "line": 7, "function": None,
                                                             "code": "def __add__(self other):"}})
    if name == "timeout":
        raise TimedOut("did not finish within 5 s")
    if name == "crash":
        raise Crashed("the process running your code ended (exit status 0)", {"output": "bye\\n"})
    if name == "skip":
        pytest.skip("torch is not installed")
    if name == "sleep":
        time.sleep(60)
    if name == "exit":
        pytest.exit("a check ended the run")
    if name == "grader_bug":
        {}["missing"]
    raise ValueError(f"toy.json names an unknown behaviour {name!r}")
'''

STAGE_MODULE = '''
import pytest

from .acts import act

pytestmark = pytest.mark.stage({stage!r})
'''

CHECK = '''

@pytest.mark.points({points})
def test_{name}(sandbox, behaviours):
    """the {name} toy check of stage {stage}"""
    act(behaviours.get("{stage}/{name}", "pass"), sandbox)
'''


@functools.cache
def toy_checks():
    """The toy suite's folder (``--checks``), written on first use and removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="runner-toys-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    package = root / "runner_toy_checks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "conftest.py").write_text(CONFTEST)
    (package / "acts.py").write_text(ACTS)
    for stage in STAGES:
        shares = [("first", stage.points)] if stage.points == 0 else \
            [("first", stage.points - 3), ("second", 3)]
        source = STAGE_MODULE.format(stage=stage.id)
        source += "".join(CHECK.format(name=name, points=points, stage=stage.id) for name, points in shares)
        (package / f"test_toy_stage_{stage.id}.py").write_text(source)
    return package


def toy_folder(path, behaviours=None, *, source=KIT_ROOT / "reference"):
    """A gradable folder at ``path``: a copy of ``source``'s modules, plus toy.json when given."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name in PACKAGE_FILES:
        shutil.copy(Path(source) / name, path / name)
    if behaviours is not None:
        (path / "toy.json").write_text(json.dumps(behaviours))
    return path
