"""Grade on PrairieLearn: build an externally graded question, grade there, write results.json.

- ``python -m grader prairielearn build`` (``nox -s prairielearn``) writes a
  question folder, ``dist/prairielearn/micrograd/`` by default, to copy into
  a course's ``questions/``: ``info.json`` (external grading in the
  ``prairielearn/grader-python`` image), ``question.html`` (upload the four
  files, see the results) and ``tests/``: ``run.sh`` (the entrypoint), the
  kit's ``grader/`` and ``reference/`` (``tests/kit/``) and the grader's
  pure-Python dependencies as installed here (``tests/vendor/``), since a
  grading container has no network.
- ``python -m grader prairielearn run`` is what ``run.sh`` calls for each
  submission: it grades ``/grade/student`` and writes
  ``/grade/results/results.json`` (``$PL_GRADE_ROOT`` replaces ``/grade``).

Official grading as on Gradescope: ``--held-out-file`` puts the secret in
``tests/kit/grader/instructor/held-out.secret``; PrairieLearn shows results at
once, so a held-out failure shows its hint and never its case. A container
that isolates graded code only with the in-process guard is refused (the
student is not charged an attempt) unless the question was built with
``--allow-self-check``.
"""

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import uuid
from pathlib import Path

from .. import KIT_ROOT, isolation
from ..stages import STAGES
from . import claims, gradescope, options
from .layout import SubmissionError, unpack
from .processes import run_bounded

FILES = Path(__file__).resolve().parent / "prairielearn_files"
IMAGE = "prairielearn/grader-python"
ENTRYPOINT = "/grade/tests/run.sh"
DEFAULT_TIMEOUT = 180  # seconds; PrairieLearn allows at most 600
MAX_TIMEOUT = 600
CONFIG = "prairielearn.json"  # beside grader/ in tests/kit/
UPLOADS = ("engine.py", "nn.py", "train.py", "derivatives.py")
UUID_NAMESPACE = uuid.UUID("5d1c4b8e-9a7e-4c5b-8f0a-6d2e1f3a9b70")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader prairielearn",
                                     description="Grade with PrairieLearn's external grader.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{build,run}")
    build_parser = commands.add_parser("build", help="write a PrairieLearn question folder")
    build_parser.add_argument("--out", type=Path, default=KIT_ROOT / "dist" / "prairielearn" / "micrograd",
                              help="the question folder to write (default: dist/prairielearn/micrograd)")
    build_parser.add_argument("--title", default="Build micrograd", help="the question's title")
    build_parser.add_argument("--topic", default="Autograd", help="the question's topic in your course")
    options.add_build_options(build_parser)
    build_parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                              help=f"seconds PrairieLearn gives one grading job, at most {MAX_TIMEOUT} "
                                   f"(default: {DEFAULT_TIMEOUT})")
    run_parser = commands.add_parser("run", help="grade $ROOT/student (what run.sh calls)")
    run_parser.add_argument("--root", type=Path, default=Path(os.environ.get("PL_GRADE_ROOT", "/grade")),
                            help="the grading job's root (default: $PL_GRADE_ROOT or /grade)")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.root)
    if not 0 < args.timeout <= MAX_TIMEOUT:
        parser.error(f"--timeout must be between 1 and {MAX_TIMEOUT} seconds (PrairieLearn's limit)")
    secret = options.held_out_secret(parser, args.held_out_file)
    try:
        distributions = vendored_distributions()
    except LookupError as error:
        print(f"prairielearn: {error}", file=sys.stderr)
        return 2
    path = build(args.out, distributions, title=args.title, topic=args.topic, docs_url=args.docs_url,
                 timeout=args.timeout, stages=args.stage, secret=secret, allow_self_check=args.allow_self_check)
    print(f"Wrote the question folder {path}.\nCopy it into your course's questions/ folder "
          f"(rename it if you like; keep its uuid unique), and add it to an assessment.")
    if secret:
        print("Grades there draw held-out cases from your secret: keep the course repository private.")
    return 0


# ---- build ----

def vendored_distributions():
    """The grader's dependencies and theirs, as installed here: ``[importlib.metadata.Distribution]``."""
    from packaging.requirements import Requirement

    groups = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["dependency-groups"]
    wanted = [Requirement(r) for r in groups["grade"]]
    found, seen = [], set()
    while wanted:
        requirement = wanted.pop()
        key = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if key in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(key)
        try:
            distribution = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            raise LookupError(f"{requirement.name} is not installed here, so it cannot go into the question; "
                              "run `nox -s prairielearn`, which installs it") from None
        found.append(distribution)
        wanted += [Requirement(r) for r in distribution.requires or ()]
    return found


def build(out, distributions, *, title="Build micrograd", topic="Autograd", docs_url=None,
          timeout=DEFAULT_TIMEOUT, stages=None, secret=None, allow_self_check=False):
    """Write the question folder ``out`` (replacing a previous build whole); return its path."""
    out = Path(out)
    points = sum(s.points for s in STAGES if not stages or s.id in stages)
    config = {"docs_url": docs_url, "timeout": max(1, timeout - 20), "stages": stages,
              "allow_self_check": allow_self_check}
    info = {
        "uuid": str(uuid.uuid5(UUID_NAMESPACE, f"micrograd-kit/{','.join(stages or [])}")),
        "title": title, "topic": topic, "tags": ["micrograd-kit", "autograd"], "type": "v3",
        "singleVariant": True, "gradingMethod": "External",
        "externalGradingOptions": {"enabled": True, "image": IMAGE, "entrypoint": ENTRYPOINT,
                                   "timeout": timeout},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        (staging / "info.json").write_text(json.dumps(info, indent=2) + "\n")
        question = (FILES / "question.html").read_text()
        (staging / "question.html").write_text(question.replace("{points}", f"{points:g}")
                                               .replace("{file_names}", ",".join(UPLOADS))
                                               .replace("{files}", ", ".join(UPLOADS)))
        tests = staging / "tests"
        tests.mkdir()
        shutil.copy(FILES / "run.sh", tests / "run.sh")
        os.chmod(tests / "run.sh", 0o755)
        kit = tests / "kit"
        for name, data in gradescope.kit_files(secret).items():
            (kit / name).parent.mkdir(parents=True, exist_ok=True)
            (kit / name).write_bytes(data)
        (kit / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
        for distribution in distributions:
            _vendor(distribution, tests / "vendor")
        for folder in (staging, *staging.rglob("*")):
            if folder.is_dir():
                os.chmod(folder, 0o755)
        if out.exists():
            previous = out.with_name(f".{out.name}.old")
            shutil.rmtree(previous, ignore_errors=True)
            out.rename(previous)
            staging.rename(out)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _vendor(distribution, vendor):
    """Copy one installed distribution's importable files (and its metadata) into ``vendor``."""
    base = Path(distribution.locate_file(""))
    for file in distribution.files or ():
        parts = Path(file).parts
        if ".." in parts or "__pycache__" in parts or file.suffix == ".pyc" or parts[0].endswith(".data"):
            continue  # scripts and data installed outside site-packages, and bytecode
        source = base / file
        if source.is_file():
            target = vendor / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


# ---- run (on PrairieLearn) ----

def run(root):
    """Grade ``root``/student and write ``root``/results/results.json, whatever happens."""
    root = Path(root)
    results = root / "results" / "results.json"
    try:
        config = _config(KIT_ROOT / CONFIG)
        try:
            mode = isolation.official(None, allow_self_check=config["allow_self_check"])
        except isolation.Unavailable as error:
            _write(results, not_gradable(f"This submission was not graded, and costs you no attempt: the grader "
                                         f"could not isolate graded code. {error}"))
            return 0
        with tempfile.TemporaryDirectory(prefix="micrograd-prairielearn-", ignore_cleanup_errors=True) as scratch:
            try:
                unpacked = unpack(root / "student", scratch)
            except SubmissionError as error:
                _write(results, not_gradable(f"Your submission could not be graded: {error}. Upload "
                                             f"{', '.join(UPLOADS)}."))
                return 0
            report_path = Path(scratch) / "report.json"
            problem = _grade(unpacked.package, report_path, {**config, "isolation": mode})
            if problem:
                _write(results, not_gradable(problem))
                return 0
            _write(results, results_from(claims.load_report(report_path)))
    except BaseException as error:  # the last line of defence: PrairieLearn must get a results.json
        _write(results, not_gradable(f"The grader failed ({type(error).__name__}: {error}), so this submission "
                                     "was not graded."))
        if not isinstance(error, Exception):
            raise
    return 0


def _config(path):
    config = {"docs_url": None, "timeout": DEFAULT_TIMEOUT - 20, "stages": None, "allow_self_check": False}
    if path.is_file():
        config.update(json.loads(path.read_text()))
    return config


def _grade(package, report_path, config):
    """Run the grader on ``package`` in its own process; return why it failed, or None."""
    command = [sys.executable, "-m", "grader", "--impl", str(package), "--report", str(report_path),
               "--isolation", config["isolation"]]
    for stage in config.get("stages") or ():
        command += ["--stage", stage]
    status = run_bounded(command, config["timeout"], cwd=KIT_ROOT, env=gradescope.grading_environment(config),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if status is None:
        return (f"Grading took longer than {config['timeout']} s and was stopped. Check your code for a loop "
                "that never ends, then submit again.")
    if status == 0 and report_path.is_file():
        return None
    return f"The grader failed on this submission (exit status {status}). This is not a problem with your code."


# ---- results.json ----

def results_from(report):
    """PrairieLearn's results: the score as a fraction, an overview, and one test per check."""
    grading = claims.grading(report)
    held = bool(grading.get("held_out"))
    tests = []
    for stage in grading.get("stages", []):
        for check in stage.get("checks", []):
            if check.get("outcome") == "skipped":
                continue
            passed = check.get("outcome") == "passed"
            hide = held and not passed and gradescope.has_details(check)
            tests.append({
                "name": f"Stage {stage['id']}: {check.get('description') or gradescope._readable(check['name'])}",
                "description": stage["title"],
                "points": check.get("points") or 0,
                "max_points": check.get("max_points") or 0,
                "message": "Passed." if passed else (
                    "Failed on a held-out case." if hide else check.get("message") or check.get("outcome")),
                "output": gradescope.held_out_output(check) if hide else gradescope.check_output(check),
            })
    maximum = grading.get("max_score") or 0
    score = (grading.get("score") or 0) / maximum if maximum else 0.0
    return {
        "gradable": True,
        "score": round(min(1.0, max(0.0, score)), 6),
        "message": f"Score: {grading.get('score', 0):g} / {maximum:g}",
        "output": _overview(grading),
        "tests": tests,
    }


def _overview(grading):
    """The score per stage, in plain text (PrairieLearn shows ``output`` as it is)."""
    lines = [f"micrograd-kit {grading.get('kit_version') or ''}: {grading.get('score', 0):g} / "
             f"{grading.get('max_score', 0):g}", ""]
    for stage in grading.get("stages", []):
        lines.append(f"Stage {stage['id']}  {stage['title']:32s} {stage.get('score', 0):g} / "
                     f"{stage.get('max_score', 0):g}" + (f"   {stage['docs']}" if stage.get("docs") else ""))
    flags = (grading.get("honesty") or {}).get("flags") or []
    if flags:
        lines += ["", "Scored 0 because the code uses the reference solution or the grader:"]
        lines += [f"  stage {f.get('stage', '?')}: {f.get('reason', '')}" for f in flags]
    if grading.get("held_out"):
        lines += ["", "Graded on held-out cases: a failed check shows its hint, not the case it failed on."]
    return "\n".join(lines)


def not_gradable(explanation):
    """Results for a submission the grader could not grade: no score, no attempt charged, the reason."""
    message = explanation + " Please tell your instructor if this keeps happening."
    return {"gradable": False, "score": 0.0, "message": message, "format_errors": [message], "tests": []}


def _write(path, document):
    gradescope._write(path, document)


if __name__ == "__main__":
    sys.exit(main())
