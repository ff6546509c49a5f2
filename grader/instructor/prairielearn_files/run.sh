#!/usr/bin/env bash
# PrairieLearn's external grader runs this for every submission (the question's
# info.json names it as the entrypoint): it grades $ROOT/student and writes
# $ROOT/results/results.json. Whatever happens, a results.json is written:
# when Python or the grader cannot even start, one that marks the submission
# not gradable (no attempt charged) and says why.
ROOT="${PL_GRADE_ROOT:-/grade}"
RESULTS="$ROOT/results/results.json"
TESTS="$ROOT/tests"
PYTHON="${PL_PYTHON:-$(command -v python3)}"

mkdir -p "$ROOT/results"
rm -f "$RESULTS"
if [ -n "$PYTHON" ] && "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    # the grader's dependencies travel with the question: a grading container has no network
    cd "$TESTS/kit" && PYTHONPATH="$TESTS/vendor" PL_GRADE_ROOT="$ROOT" \
        "$PYTHON" -m grader prairielearn run --root "$ROOT"
    status=$?
    reason="the grader stopped (exit status $status) before writing results"
else
    reason="the grading image has no Python 3.11 or newer (found: ${PYTHON:-none})"
fi
if [ ! -s "$RESULTS" ]; then
    echo "run.sh: $reason; writing a not-gradable result" >&2
    message="This submission was not graded, and costs you no attempt: $reason. Please tell your instructor."
    printf '{"gradable": false, "score": 0.0, "message": "%s", "format_errors": ["%s"], "tests": []}\n' \
        "$message" "$message" >"$RESULTS"
fi
exit 0
