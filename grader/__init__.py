"""micrograd-kit's grader: ``python -m grader`` grades a folder against ``reference/``.

The version is written here rather than read from ``pyproject.toml`` because
the grader also runs where that file is absent (the Gradescope autograder
zip); a kit test keeps the two equal.
"""

__version__ = "0.1.0"
