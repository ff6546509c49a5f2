"""The grader's checks: one module per stage, each check worth points (see SPEC.md's table).

Checks run in the grading process. They ask the sandbox to run a scenario on
the graded code, run the same scenario on the reference in-process, and
compare the plain numbers that come back.
"""
