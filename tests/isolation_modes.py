"""The isolation modes the sandbox tests run under (``grader/isolation.py``), for real.

A mode this machine cannot give is skipped with the reason, except in CI
(``$CI`` is ``true`` or ``$MICROGRAD_KIT_REQUIRE_ISOLATION`` is ``1``, as
``.ci/run`` sets it), where ``os`` and ``user`` must run.
"""

import os

import pytest

from grader import isolation

REQUIRED = os.environ.get("CI") == "true" or os.environ.get("MICROGRAD_KIT_REQUIRE_ISOLATION") == "1"


def use(mode, monkeypatch):
    """Make ``mode`` the one sandboxes and grades in this test run under; skip (or, in CI, fail) if it cannot be."""
    ok, why = isolation.available(mode)
    if not ok:
        if REQUIRED:
            pytest.fail(f"isolation {mode!r} must run here (CI) but is not available: {why}")
        pytest.skip(f"isolation {mode!r} is not available on this machine: {why}")
    monkeypatch.setenv(isolation.ENV, mode)
    return mode
