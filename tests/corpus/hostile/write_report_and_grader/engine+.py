import os

# Each attempt would be harmless if it got through (append mode, nothing written; a rename onto itself),
# so a broken guard cannot damage the kit it is tested in; any that gets through fails the import, loudly.
_TARGETS = (
    "{KIT}/reports/grade-report.json",  # a forged report, written while the real one is being made
    "{KIT}/grader/hints.py",  # the grader's own code, for the run that grades this
    "{KIT}/reference/engine.py",
    os.path.join(os.path.dirname(__file__), "engine.py"),  # the graded file itself, after it was hashed
)
_got_through = []
for _target in _TARGETS:
    try:
        open(_target, "a").close()
    except OSError:
        continue
    _got_through.append(_target)
try:
    os.rename("{KIT}/grader/stages.py", "{KIT}/grader/stages.py")
    _got_through.append("rename grader/stages.py")
except OSError:
    pass
with open("notes.txt", "w") as _f:  # the current folder is the worker's scratch folder: allowed
    _f.write("scratch is fine\n")
if _got_through:
    raise RuntimeError("wrote: " + ", ".join(_got_through))
