"""micrograd-kit's grader: ``python -m grader`` grades a folder against ``reference/``.

The version is written here rather than read from ``pyproject.toml`` because
the grader also runs where that file is absent (the Gradescope autograder
zip); a kit test keeps the two equal.
"""

from pathlib import Path

__version__ = "0.1.0"
KIT_ROOT = Path(__file__).resolve().parent.parent  # beside grader/: reference/, student/, docs/


def load_ipython_extension(ipython):
    """``%load_ext grader`` in a notebook: adds ``%grade`` (IPython is imported only then)."""
    from .notebook import load_ipython_extension as load

    load(ipython)
