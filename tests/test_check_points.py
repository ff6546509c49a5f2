"""Every check carries a stage and points, and each stage's checks add up to SPEC.md's points."""

import os
import re

import pytest

from grader.hints import HINTS
from grader.stages import STAGES
from conftest import KIT_ROOT

CHECKS = KIT_ROOT / "grader" / "checks"


class Collector:
    """Records each collected check's stage and points marks."""

    def __init__(self):
        self.checks = []

    def pytest_collection_modifyitems(self, items):
        for item in items:
            stage, points = item.get_closest_marker("stage"), item.get_closest_marker("points")
            self.checks.append((item.nodeid, stage.args[0] if stage else None, points.args[0] if points else None))


@pytest.fixture(scope="module")
def checks():
    collector = Collector()
    code = pytest.main([str(CHECKS), "--collect-only", "-q", "-p", "no:cacheprovider", "--impl", "reference",
                        "-c", os.devnull, "--rootdir", str(KIT_ROOT)], plugins=[collector])
    assert code == pytest.ExitCode.OK
    return collector.checks


def test_every_check_has_a_stage_and_points(checks):
    stages = {s.id for s in STAGES}
    assert checks
    for nodeid, stage, points in checks:
        assert stage in stages, f"{nodeid} has no valid stage mark"
        assert isinstance(points, (int, float)) and points >= 0, f"{nodeid} has no valid points mark"


@pytest.mark.parametrize("stage", STAGES, ids=[s.id for s in STAGES])
def test_stage_points_add_up(checks, stage):
    mine = [points for _, stage_id, points in checks if stage_id == stage.id]
    assert mine, f"stage {stage.id} has no checks"
    assert sum(mine) == stage.points


def test_every_hint_the_checks_name_exists():
    """A hyphenated id in a check's source that is not in the catalogue would reach the student as no hint."""
    named = set()
    for path in CHECKS.glob("*.py"):
        named |= set(re.findall(r'"([a-z0-9]+(?:-[a-z0-9]+)+)"', path.read_text()))
    assert named - set(HINTS) == set(), "hint ids used by the checks but missing from grader/hints.py"
