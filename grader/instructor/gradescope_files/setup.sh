#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image (Ubuntu):
# it makes $ROOT/venv, a Python >= 3.11 with the grader's pinned dependencies.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
export DEBIAN_FRONTEND=noninteractive

recent_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

PYTHON="$(recent_python || true)"
if [ -z "$PYTHON" ]; then  # Ubuntu 22.04 ships 3.10: take 3.11 from its archive, else deadsnakes
    apt-get update
    if ! apt-get install -y python3.11 python3.11-venv; then
        apt-get install -y software-properties-common
        add-apt-repository -y ppa:deadsnakes/ppa
        apt-get update
        apt-get install -y python3.11 python3.11-venv
    fi
    PYTHON=python3.11
fi

if ! "$PYTHON" -m venv "$ROOT/venv"; then  # Ubuntu splits venv (ensurepip) into its own package
    version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    apt-get update
    apt-get install -y "python${version}-venv"
    rm -rf "$ROOT/venv"
    "$PYTHON" -m venv "$ROOT/venv"
fi
"$ROOT/venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check \
    -r "$SOURCE/requirements.txt"
"$ROOT/venv/bin/python" -c "import pytest, pytest_jsonreport, pytest_timeout, hypothesis"
chmod +x "$SOURCE/run_autograder"
echo "micrograd-kit autograder ready: $("$ROOT/venv/bin/python" --version)"
