"""The grader against known solutions: correct ones in many styles score 100, buggy ones lose the right points.

``tests/corpus/correct/<style>/`` holds only the modules a style changes; the
rest comes from ``reference/``. ``tests/corpus/buggy/mutations.toml`` holds
single realistic mistakes, each an edit of the lecture-style solution.
"""

import shutil
import tomllib
from pathlib import Path

import pytest
from grading_support import grade_folder, stage_results

from grader.stages import BY_ID, MODULES, STAGES
from conftest import KIT_ROOT

CORRECT = Path(__file__).resolve().parent / "corpus" / "correct"
STYLES = sorted(p.name for p in CORRECT.iterdir() if p.is_dir())
MUTATIONS = tomllib.loads((CORRECT.parent / "buggy" / "mutations.toml").read_text())["mutation"]
BASE = "closures"  # the style the mutations edit: the lecture's own


def assemble(style, folder):
    """A full submission folder: the style's modules, the others copied from reference/."""
    folder.mkdir()
    for name in (*MODULES, "__init__"):
        source = CORRECT / style / f"{name}.py"
        shutil.copyfile(source if source.exists() else KIT_ROOT / "reference" / f"{name}.py", folder / f"{name}.py")
    return folder


def test_corpus_is_large_enough():
    assert len(STYLES) >= 5 and BASE in STYLES
    assert len(MUTATIONS) >= 30
    assert len({m["name"] for m in MUTATIONS}) == len(MUTATIONS)
    assert {m["stage"] for m in MUTATIONS} >= {"0", "1", "2", "3", "4", "5"}


@pytest.mark.parametrize("style", STYLES)
def test_correct_style_scores_full_marks(style, tmp_path):
    report = grade_folder(assemble(style, tmp_path / style))
    failures = [f"{c['nodeid']}: {c['message']}" for _, _, failed in stage_results(report).values()
                for c in failed if c["outcome"] != "skipped"]
    assert report["grading"]["score"] == 100, failures
    assert not failures


FIGURES = {}  # mutation name -> its share of failing checks with the right hint, stages it lost points outside


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m["name"] for m in MUTATIONS])
def test_buggy_solution_loses_points_where_it_should(mutation, tmp_path):
    folder = assemble(BASE, tmp_path / "buggy")
    path = folder / f"{mutation['module']}.py"
    text = path.read_text()
    assert text.count(mutation["find"]) == 1, f"stale mutation: its text is not exactly once in {path.name}"
    path.write_text(text.replace(mutation["find"], mutation["replace"]))

    # Only stages running the mutated module can be affected; grading the others proves nothing.
    stage, also = mutation["stage"], set(mutation.get("also", ()))
    assert mutation["module"] in BY_ID[stage].modules
    graded = [s.id for s in STAGES if mutation["module"] in s.modules and s.id != "bonus"]
    results = stage_results(grade_folder(folder, stages=graded))

    failing = [c for _, _, failed in results.values() for c in failed]
    FIGURES[mutation["name"]] = {
        "right_hint": sum(c["hint_id"] == mutation["hint"] for c in failing) / max(len(failing), 1),
        "lost_elsewhere": sorted(other for other, (score, maximum, _) in results.items()
                                 if other != stage and score < maximum)}

    score, maximum, failed = results[stage]
    hints = {c["hint_id"] for c in failed}
    assert score < maximum, f"stage {stage} kept all its points"
    assert mutation["hint"] in hints, f"stage {stage}'s failed checks hint at {sorted(hints)}: " + \
        "; ".join(f"{c['name']}: {c['message']}" for c in failed)
    for other, (score, maximum, failed) in results.items():
        assert all(c["hint_id"] for c in failed), f"a failed check of stage {other} without a hint"
        if other != stage and other not in also:
            assert score == maximum, f"stage {other} lost points: " + "; ".join(c["message"] for c in failed)


def test_pristine_stubs_are_not_implemented_anywhere(pristine_stubs):
    report = grade_folder(pristine_stubs)
    assert report["grading"]["score"] == 0
    for stage, (_, _, failed) in stage_results(report).items():
        outcomes = {c["outcome"] for c in failed}
        assert outcomes == {"not_implemented"} or (stage == "bonus" and outcomes == {"skipped"}), (stage, outcomes)


def test_corpus_figures(capsys):
    """The buggy corpus's two figures, once every mutation was graded above (a full run of this file).

    The share of buggy submissions whose failing checks mostly show the right
    hint, and how many lose points outside the stage that teaches their
    mistake (each such stage is declared in its mutation's ``also``).
    """
    if len(FIGURES) < len(MUTATIONS):
        pytest.skip(f"the figures need every mutation graded; {len(FIGURES)} of {len(MUTATIONS)} were")
    mostly_right = [name for name, f in FIGURES.items() if f["right_hint"] > 0.5]
    elsewhere = {name: f["lost_elsewhere"] for name, f in FIGURES.items() if f["lost_elsewhere"]}
    with capsys.disabled():
        print(f"\nbuggy corpus: {len(mostly_right)} of {len(FIGURES)} submissions "
              f"({100 * len(mostly_right) / len(FIGURES):.0f}%) show the right hint on most failing checks; "
              f"{len(elsewhere)} lose points outside the stage that teaches their mistake"
              + "".join(f"\n  {name}: also stage {', '.join(stages)}" for name, stages in elsewhere.items())
              + "".join(f"\n  mostly other hints: {name} ({FIGURES[name]['right_hint']:.0%} right)"
                        for name in FIGURES if name not in mostly_right))
    assert len(mostly_right) >= 0.9 * len(FIGURES)
