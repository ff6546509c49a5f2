"""What every check gets: the ``--impl`` option, the graded folder's ``sandbox``, and ``ref``."""

import argparse
import importlib
import types

import pytest

from grader.api import UsageError, resolve_impl
from grader.hangs import HangCap
from grader.isolation import MODES
from grader.sandbox import Sandbox

from .fatal import FatalInProperty


def _impl_folder(value):
    try:
        return resolve_impl(value)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def pytest_addoption(parser):
    parser.addoption(
        "--impl", default="student", type=_impl_folder, metavar="PATH",
        help="the folder to grade: student (default), reference, or a path to a submission folder")
    parser.addoption(
        "--isolation", default=MODES[-1], choices=MODES, help="how workers are walled off (grader/isolation.py)")


def pytest_configure(config):
    config.addinivalue_line("markers", "stage(id): the stage a check module scores (\"0\"..\"5\", \"bonus\")")
    config.addinivalue_line("markers", "points(p): what a check is worth")


@pytest.fixture(scope="session")
def sandbox(pytestconfig):
    """The graded folder, run in worker processes for the whole session; endless loops cost it one time limit."""
    with Sandbox(pytestconfig.getoption("impl"), isolation=pytestconfig.getoption("isolation")) as box:
        yield HangCap(box)


@pytest.fixture(scope="session")
def ref():
    """The reference in this process, shaped like a worker's ``impl``: scenarios run on it unchanged."""
    return types.SimpleNamespace(**{name: importlib.import_module(f"reference.{name}")
                                    for name in ("engine", "nn", "train", "derivatives")})


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """A property check stopped by graded code that hung, died or is missing fails with that error."""
    try:
        return (yield)
    except FatalInProperty as stop:
        raise stop.error from None
