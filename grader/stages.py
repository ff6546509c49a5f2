"""The stages of the kit, their points and their docs pages (SPEC.md's table)."""

import os
from dataclasses import dataclass

# Where the grader's links point: the site `nox -s serve` serves, unless a
# course publishes it elsewhere.
DOCS_BASE = os.environ.get("MICROGRAD_KIT_DOCS", "http://127.0.0.1:8000/")


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    points: int
    page: str  # docs page, relative to the site root
    modules: tuple  # the submission's modules this stage's checks run


STAGES = (
    Stage("0", "Derivatives by hand", 10, "stages/0-derivatives/", ("derivatives",)),
    Stage("1", "The forward pass", 20, "stages/1-forward-pass/", ("engine",)),
    Stage("2", "Local backward rules", 20, "stages/2-backward-rules/", ("engine",)),
    Stage("3", "Backpropagation", 20, "stages/3-backpropagation/", ("engine",)),
    Stage("4", "The neural-network library", 15, "stages/4-neural-net/", ("nn",)),
    Stage("5", "Training", 15, "stages/5-training/", ("train",)),
    Stage("bonus", "Agreement with PyTorch", 0, "stages/bonus-pytorch/", ("engine",)),
)
BY_ID = {s.id: s for s in STAGES}
MAX_SCORE = sum(s.points for s in STAGES)
MODULES = ("engine", "nn", "train", "derivatives")


def docs_url(path):
    """An absolute link into the docs site for a page (and anchor) path."""
    return DOCS_BASE.rstrip("/") + "/" + path.lstrip("/")
