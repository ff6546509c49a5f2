"""The score report: pytest-json-report's document plus the ``grading`` object (grader/README.md).

The JSON Schema for it is ``grader/schema/grade-report.schema.json``; the
kit's tests validate every report against it (the grader itself does not,
so that grading needs no ``jsonschema``).
"""

import importlib.util
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from . import KIT_ROOT, __version__
from .flags import capped
from .instructor.atomic import write_atomic
from .instructor.claims import file_hashes
from .stages import STAGES, docs_url

SCHEMA_VERSION = 1


def grading(*, folder, student_id, stages, check_results, flags, errors, started, duration_s, budget_s,
            isolation=None, honesty_notes=(), held_out=False, files=None):
    """The ``grading`` object.

    ``check_results`` is ``[(stage id, check result)]``; ``flags`` are honesty
    flags ``{"module", "reason"}``, which zero every selected stage whose
    checks run that module; ``errors`` are the grader's own failures;
    ``isolation`` is the mode graded code ran under (None: none ran);
    ``honesty_notes`` ``{"module", "note"}`` say where the static scan gave up;
    ``held_out`` whether the property checks drew their cases from a secret;
    ``files`` the hashes of the copy the workers graded (os and user
    isolation), or None to hash ``folder``'s files now.
    """
    errors = list(errors)
    explained = bool(errors)  # a stage without checks after an error is that error's doing
    stage_flags = [{"stage": s.id, "module": f["module"], "reason": f["reason"]}
                   for s in STAGES if s.id in stages for f in capped(flags) if f["module"] in s.modules]
    flagged = {f["stage"] for f in stage_flags}
    report_stages = []
    for stage in (s for s in STAGES if s.id in stages):
        checks = [result for stage_id, result in check_results if stage_id == stage.id]
        carried = _round(sum(c["max_points"] for c in checks))
        if not checks:
            if not explained:
                errors.append(f"stage {stage.id} has no checks: it could not be graded")
        elif carried != stage.points:
            errors.append(f"stage {stage.id}'s checks carry {carried:g} points, not {stage.points}")
        report_stages.append(stage_entry(stage, checks, stage.id in flagged))
    return {
        "schema_version": SCHEMA_VERSION,
        "kit_version": __version__,
        "student_id": student_id,
        "impl": {"path": shown_path(folder), "files": file_hashes(folder) if files is None else files},
        "selected_stages": [s.id for s in STAGES if s.id in stages],
        "isolation": isolation,
        "held_out": bool(held_out),
        "score": _round(sum(s["score"] for s in report_stages)),
        "max_score": sum(s["max_score"] for s in report_stages),
        "stages": report_stages,
        "honesty": {"flags": stage_flags, "notes": [{"module": str(n["module"]), "note": str(n["note"])}
                                                    for n in honesty_notes]},
        "errors": errors,
        "timing": {"started": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "duration_s": round(duration_s, 3),
                   "budget_s": budget_s},
        "environment": environment(),
    }


def stage_entry(stage, checks, flagged=False):
    """A stage's object in the report; a stage flagged by an honesty check scores 0."""
    if flagged:
        for check in checks:
            check["points"] = 0.0
    return {
        "id": stage.id,
        "title": stage.title,
        "score": _round(sum(c["points"] for c in checks)),
        "max_score": stage.points,
        "docs": docs_url(stage.page),
        "checks": checks,
    }


def flagged_stages(flags, stages):
    """The ids of the selected stages whose checks run a module an honesty flag names."""
    modules = {f["module"] for f in flags}
    return {s.id for s in STAGES if s.id in stages and modules & set(s.modules)}


def shown_path(folder):
    """The graded folder as the report records it: relative to the kit (``student``), else its name alone.

    Never the absolute path: a report travels, and a local path says who ran it where.
    """
    folder = Path(folder).resolve()
    root = KIT_ROOT.resolve()
    return folder.relative_to(root).as_posix() or "." if folder.is_relative_to(root) else folder.name or "."


def bare_document(*, exitcode, root, started):
    """pytest-json-report's fields, for a run in which pytest never got to write them."""
    return {
        "created": started.timestamp(),
        "duration": 0.0,
        "exitcode": int(exitcode),
        "root": str(root),
        "environment": {},
        "summary": {"collected": 0, "total": 0},
        "tests": [],
    }


def failure_document(*, folder, student_id, stages, message, budget_s):
    """A report for a run the grader could not finish: it scores nothing and says why."""
    started = now()
    document = bare_document(exitcode=3, root=Path(__file__).resolve().parent.parent, started=started)
    document["grading"] = grading(
        folder=folder, student_id=student_id, stages=stages or [s.id for s in STAGES], check_results=[],
        flags=[], errors=[message], started=started, duration_s=0.0, budget_s=budget_s)
    document["environment"] = document["grading"]["environment"]
    return document


def environment():
    """What the grade ran on: enough to explain a difference between two runs."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pytest": _version("pytest", "pytest"),
        "pytest_json_report": _version("pytest_jsonreport", "pytest_json_report"),
        "hypothesis": _version("hypothesis", "hypothesis"),
        "kit_version": __version__,
    }


def now():
    return datetime.now(timezone.utc)


def write(document, path):
    """Write the report atomically: a run killed halfway leaves the previous report whole.

    The file is made to travel: it is handed in, so no local path goes in it (see ``portable``).
    """
    text = json.dumps(portable(document), indent=2, allow_nan=False, default=str) + "\n"
    write_atomic(path, lambda f: f.write(text.encode("utf-8")))


def portable(document):
    """The document with no path of this machine in it: the kit's own files (docs links into the
    built site included) relative to the kit, the interpreter's and the home folder's shortened.

    Only what is written changes; the terminal and the HTML page, read here, keep links that open.
    """
    kit = str(KIT_ROOT)
    swaps = [(KIT_ROOT.as_uri() + "/", ""), (kit + os.sep, ""), (sys.prefix + os.sep, "<python>/"),
             (sys.base_prefix + os.sep, "<python>/")]
    if Path.home() != Path("/"):
        swaps.append((str(Path.home()) + os.sep, "~/"))

    def clean(value):
        if isinstance(value, str):
            if value == kit:
                return "."
            for local, shown in swaps:
                value = value.replace(local, shown)
            return value
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return clean(document)


def _version(module_name, distribution):
    """The version of an installed module: its ``__version__``, else the name of the ``.dist-info``
    folder beside it. Never importlib.metadata, which reads every folder on ``sys.path`` (a FIFO
    planted in one would stop the grade); this only lists the folder the module came from."""
    version = getattr(sys.modules.get(module_name), "__version__", None)
    if isinstance(version, str):
        return version
    try:
        spec = importlib.util.find_spec(module_name)
        origin = spec and (spec.submodule_search_locations or [spec.origin])[0]
        if not origin:
            return None
        names = sorted(p.name for p in Path(origin).parent.glob(f"{distribution}-*.dist-info"))
    except (ImportError, ValueError, OSError):
        return None
    return names[-1][len(distribution) + 1:-len(".dist-info")] if names else None


def _round(x):
    return round(float(x), 6)

