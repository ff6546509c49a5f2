"""Run the grader on Gradescope: build the autograder zip, grade there, write results.json.

- ``python -m grader gradescope build`` (``nox -s gradescope``) writes
  ``dist/gradescope-autograder.zip``: ``setup.sh`` and ``run_autograder`` at
  its root (Gradescope's autograder specification), the kit's ``grader/`` and
  ``reference/``, the grader's dependencies pinned to the versions this kit
  runs, and the course's settings (``autograder.json``).
- ``python -m grader gradescope run --root /autograder`` is what
  ``run_autograder`` calls for each submission.
- ``write_results(report, path)`` turns a grade report into ``results.json``
  (``python -m grader --gradescope PATH`` uses it too).

Official grading: ``build --held-out-file FILE`` puts the secret in the zip
(``grader/instructor/held-out.secret``, where graded code may not read), and
every grade there draws held-out cases; a held-out failure shows its hint at
once and its details (the failing case, expected and got) only after the due
date. ``run`` refuses a machine where only the in-process guard isolates graded
code (``self-check``) unless the zip was built with ``--allow-self-check``,
and says so in results.json.
"""

import argparse
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from .. import KIT_ROOT, held_out, isolation
from ..hints import HINTS
from ..stages import STAGES
from . import claims, options
from .atomic import write_atomic
from .layout import PACKAGE_FILES, SubmissionError, unpack
from .processes import run_bounded

SCRIPTS = Path(__file__).resolve().parent / "gradescope_files"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
DEFAULT_TIMEOUT = 480  # seconds; Gradescope stops an autograder at 10 minutes unless told otherwise
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same kit always builds the same zip
UPLOAD_ADVICE = ("Upload the files of your student/ folder (" + ", ".join(PACKAGE_FILES)
                 + "), or the zip `nox -s submit` made.")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader gradescope",
                                     description="Grade on Gradescope's autograder platform.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{build,run}")
    build_parser = commands.add_parser("build", help="write the autograder zip to upload to Gradescope")
    build_parser.add_argument("--out", type=Path, default=KIT_ROOT / "dist" / "gradescope-autograder.zip",
                              help="where to write the zip (default: dist/gradescope-autograder.zip)")
    options.add_build_options(build_parser)
    build_parser.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                              help="when students see their results (default: visible)")
    build_parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                              help=f"seconds one submission may take (default: {DEFAULT_TIMEOUT})")
    run_parser = commands.add_parser("run", help="grade $ROOT/submission (what run_autograder calls)")
    run_parser.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")),
                            help="the autograder's root (default: $AUTOGRADER_ROOT or /autograder)")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.root)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    secret = options.held_out_secret(parser, args.held_out_file)
    try:
        pins = pinned_requirements()
    except LookupError as error:
        print(f"gradescope: {error}", file=sys.stderr)
        return 2
    path = build(args.out, pins, docs_url=args.docs_url, visibility=args.visibility, timeout=args.timeout,
                 stages=args.stage, secret=secret, allow_self_check=args.allow_self_check)
    points = sum(s.points for s in STAGES if not args.stage or s.id in args.stage)
    print(f"Wrote {path}.\nOn Gradescope: create a Programming Assignment worth {points} points, then "
          f"Configure Autograder > Zip file upload.")
    if secret:
        print("Grades there draw held-out cases from your secret; keep the zip as private as the secret.")
    if not args.docs_url:
        print("Note: no --docs-url given, so feedback links point at http://127.0.0.1:8000 "
              "(a student's own `nox -s serve`).")
    return 0


# ---- build ----

def pinned_requirements():
    """``name==version`` for each grading dependency, as installed here: Gradescope runs what you tested."""
    groups = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["dependency-groups"]
    pins = []
    for requirement in groups["grade"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group()
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            raise LookupError(f"{name} is not installed here, so there is no version to pin; "
                              f"run `nox -s gradescope`, which installs it") from None
    return pins


def kit_files(held_out_secret=None):
    """The kit's ``grader/`` and ``reference/`` as ``{archive name: bytes}``, and the secret when there is one.

    A secret file lying in this copy of the kit is never taken along: only
    the secret given for this build is.
    """
    files = {}
    for package in ("grader", "reference"):
        for path in sorted((KIT_ROOT / package).rglob("*")):
            name = path.relative_to(KIT_ROOT).as_posix()
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc" \
                    and name != held_out.SECRET_FILE.as_posix():
                files[name] = path.read_bytes()
    if held_out_secret:
        files[held_out.SECRET_FILE.as_posix()] = (held_out_secret + "\n").encode()
    return files


def build(out, pins, *, docs_url=None, visibility="visible", timeout=DEFAULT_TIMEOUT, stages=None, secret=None,
          allow_self_check=False):
    """Write the autograder zip to ``out``; return its path."""
    config = {"docs_url": docs_url, "visibility": visibility, "timeout": timeout, "stages": stages,
              "allow_self_check": allow_self_check}
    files = {"setup.sh": (SCRIPTS / "setup.sh").read_bytes(),
             "run_autograder": (SCRIPTS / "run_autograder").read_bytes(),
             "requirements.txt": "".join(p + "\n" for p in pins).encode(),
             "autograder.json": json.dumps(config, indent=2).encode()}
    files.update(kit_files(secret))

    def fill(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, FIXED_TIME)
                executable = name in ("setup.sh", "run_autograder")
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)

    write_atomic(out, fill)
    return Path(out)


# ---- run (on Gradescope) ----

def run(root):
    """Grade ``root``/submission and write ``root``/results/results.json, whatever happens."""
    root = Path(root)
    results = root / "results" / "results.json"
    try:
        config = _config(root / "source" / "autograder.json")
        try:
            mode = isolation.official(None, allow_self_check=config["allow_self_check"])
        except isolation.Unavailable as error:
            _write(results, failure_results(
                f"This submission was not graded: the autograder could not isolate graded code. {error} "
                "This is not a problem with your code: please tell your instructor.", "visible"))
            return 0
        config["isolation"] = mode
        with tempfile.TemporaryDirectory(prefix="micrograd-gradescope-", ignore_cleanup_errors=True) as scratch:
            try:
                unpacked = unpack(root / "submission", scratch)
            except SubmissionError as error:
                _write(results, failure_results(f"Your submission could not be graded: {error}. "
                                                + UPLOAD_ADVICE, config["visibility"]))
                return 0
            report_path = Path(scratch) / "report.json"
            problem = _grade(unpacked.package, report_path, config)
            if problem:
                _write(results, failure_results(problem, config["visibility"]))
                return 0
            write_results(claims.load_report(report_path), results, visibility=config["visibility"])
    except BaseException as error:  # the last line of defence: Gradescope must get a results.json
        _write(results, failure_results(
            f"The autograder failed ({type(error).__name__}: {error}), so this submission was not graded. "
            "This is not a problem with your code: please tell your instructor.", "visible"))
        if not isinstance(error, Exception):
            raise
    return 0


def _config(path):
    config = {"docs_url": None, "visibility": "visible", "timeout": DEFAULT_TIMEOUT, "stages": None,
              "allow_self_check": False}
    if path.is_file():
        config.update(json.loads(path.read_text()))
    return config


def grading_environment(config):
    """The grading process's environment: the docs' address, and the bundle's held-out secret (never argv)."""
    env = dict(os.environ, NO_COLOR="1")
    env.pop(held_out.ENV, None)
    if config.get("docs_url"):
        env["MICROGRAD_KIT_DOCS"] = config["docs_url"]
    secret = held_out.read_file(KIT_ROOT / held_out.SECRET_FILE)
    if secret:
        env[held_out.ENV] = secret
    return env


def _grade(package, report_path, config):
    """Run the grader on ``package`` in its own process; return why it failed, or None."""
    env = grading_environment(config)
    command = [sys.executable, "-m", "grader", "--impl", str(package), "--report", str(report_path),
               "--isolation", config["isolation"]]
    for stage in config.get("stages") or ():
        command += ["--stage", stage]
    status = run_bounded(command, config["timeout"], cwd=KIT_ROOT, env=env, stdin=subprocess.DEVNULL)
    if status is None:
        return (f"Grading took longer than {config['timeout']} s and was stopped, so this submission "
                "was not graded. Check your code for a loop that never ends, then submit again.")
    if status == 0 and report_path.is_file():
        return None
    return (f"The grader failed on this submission (exit status {status}), so it was not graded. "
            "This is not a problem with your code: please tell your instructor, who can see the log.")


# ---- results.json ----

def write_results(report, path, *, visibility="visible"):
    """Write Gradescope's results.json for a grade report, atomically."""
    _write(path, results_from(report, visibility=visibility))


def results_from(report, *, visibility="visible"):
    """Gradescope's results document: one test per check, numbered ``stage.n``, and an overview."""
    grading = claims.grading(report)
    held = bool(grading.get("held_out"))
    tests = []
    for stage in grading.get("stages", []):
        checks = [c for c in stage.get("checks", []) if c.get("outcome") != "skipped"]
        for number, check in enumerate(checks, 1):
            test = {
                "name": f"Stage {stage['id']}: {check.get('description') or _readable(check['name'])}",
                "number": f"{stage['id']}.{number}",
                "score": check.get("points") or 0,
                "max_score": check.get("max_points") or 0,
                "status": "passed" if check.get("outcome") == "passed" else "failed",
                "output": check_output(check),
                "tags": [f"stage {stage['id']}", stage["title"]],
            }
            tests.append(test)
            if held and check.get("outcome") != "passed" and has_details(check):
                test["output"] = held_out_output(check)
                tests.append({  # the failing case itself: a held-out case, shown once the work is in
                    **test, "name": test["name"] + " — the failing case", "number": test["number"] + ".1",
                    "score": 0, "max_score": 0, "output": check_output(check),
                    **({"visibility": "after_due_date"} if visibility == "visible" else {})})
    timing = grading.get("timing") or {}
    return {
        "score": grading.get("score") or 0,
        "execution_time": round(timing.get("duration_s") or 0),
        "output": _overview(grading),
        "output_format": "md",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"kit_version": grading.get("kit_version"),
                       "stage_scores": {s["id"]: s.get("score") for s in grading.get("stages", [])}},
    }


def failure_results(explanation, visibility="visible"):
    """A results document with score 0 that says why nothing was graded."""
    return {"score": 0, "output": explanation, "visibility": visibility, "tests": []}


def check_output(check):
    """What the student reads under a test: plain text, the same facts as the terminal's feedback."""
    if check.get("outcome") == "passed":
        return "Passed."
    lines = [check.get("message") or f"Outcome: {check.get('outcome')}"]
    for label, key in (("Expected", "expected"), ("Got", "got"), ("Failing case", "case")):
        if check.get(key) is not None:
            lines.append(f"{label}: {check[key]}")
    return "\n".join(lines + _hint_and_link(check))


def _hint_and_link(check):
    """The lines every failed check ends with: its hint, and where the docs teach it."""
    lines = []
    hint = HINTS.get(check.get("hint_id"))
    if hint or check.get("hint"):
        lines += ["", f"Hint ({hint.title}): {hint.text}" if hint else f"Hint: {check['hint']}"]
    if check.get("docs"):
        lines.append(f"Read more: {check['docs']}")
    return lines


def has_details(check):
    return any(check.get(key) is not None for key in ("expected", "got", "case"))


def held_out_output(check):
    """A held-out failure before the due date: that it failed, and the hint, never the case."""
    lines = [f"This check failed on a held-out case (outcome: {check.get('outcome')}). The case, and what "
             "your code gave, are shown after the due date."]
    return "\n".join(lines + _hint_and_link(check))


def _readable(name):
    """``test_add_accepts_numbers[a]`` as ``add accepts numbers [a]``: a check's name for people."""
    base, bracket, rest = name.partition("[")
    return base.removeprefix("test_").replace("_", " ") + (f" [{rest}" if bracket else "")


def _overview(grading):
    """The top of the results page: the score per stage, with links to each stage's page."""
    lines = [f"**Score: {grading.get('score', 0):g} / {grading.get('max_score', 0):g}**", "",
             "| Stage | Score |", "|---|---:|"]
    for stage in grading.get("stages", []):
        checks = stage.get("checks", [])
        title = f"[{stage['id']}: {stage['title']}]({stage['docs']})" if stage.get("docs") else \
            f"{stage['id']}: {stage['title']}"
        if checks and all(c.get("outcome") == "skipped" for c in checks):
            score = "skipped"
        elif checks and all(c.get("outcome") == "not_implemented" for c in checks):
            score = f"0 / {stage.get('max_score', 0):g} (not started)"
        else:
            score = f"{stage.get('score', 0):g} / {stage.get('max_score', 0):g}"
        lines.append(f"| {title} | {score} |")
    flags = (grading.get("honesty") or {}).get("flags") or []
    if flags:
        lines += ["", "**Scored 0 because the code uses the reference solution or the grader:**"]
        lines += [f"- stage {f.get('stage', f.get('module', '?'))}: {f.get('reason', '')}" for f in flags]
    not_run = sum(1 for s in grading.get("stages", []) for c in s.get("checks", []) if c.get("outcome") == "not_run")
    if not_run:
        lines += ["", f"{not_run} checks did not run: grading ran out of time. Look for slow or endless loops."]
    lines += ["", "Each test below says what was expected, what your code gave, a hint, and where the docs "
                  "teach it."]
    return "\n".join(lines)


def _write(path, document):
    data = json.dumps(document, indent=2).encode()
    write_atomic(path, lambda f: f.write(data))


if __name__ == "__main__":
    sys.exit(main())
