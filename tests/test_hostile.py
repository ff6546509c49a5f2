"""The hostile corpus (``tests/corpus/hostile/``): broken and cheating submissions never hang, crash or fool the grader.

Each case runs twice: in a ``Sandbox``, through the self-test scenarios (the
hostile modules fail as the case says, a healthy module still answers exactly
like the reference, and the honesty flags name exactly the cheating modules),
and end to end through ``grader.api.grade`` (the run ends within its bound,
the report validates against the schema, no points come from a cheat, and
every stage not using a hostile module scores full marks). The static scan's
own rules are tested at the end, on snippets.
"""

import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import tempfile
import time
import types
from pathlib import Path
from stat import S_IFDIR, S_IFMT, S_IFREG

import jsonschema
import pytest

import isolation_modes
from grader import api, honesty, scenarios
from grader.isolation import MODES
from grader.sandbox import GradedCodeError, Sandbox
from grader.stages import BY_ID, MODULES
from conftest import KIT_ROOT, pristine_stub_sources

CORPUS = Path(__file__).resolve().parent / "corpus" / "hostile"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.json").is_file())
CALL_TIMEOUT = 1.0  # the hostile loops need not run the default 5 s to prove they are stopped
MEMORY_MB = 256  # plenty for the self-tests; filling it takes a slow machine a second or two
# the self-test scenario for each module, and what it runs on the reference
SELFTESTS = {
    "engine": ("selftest_engine", ()),
    "nn": ("selftest_nn", ("engine",)),
    "train": ("selftest_train", ("engine", "nn")),
    "derivatives": ("selftest_derivatives", ()),
}


def load_case(name, mode=None):
    """The case's expectations; under ``mode``, with its ``modes[mode]`` entries in place of the general ones.

    A case a mode cannot stop says why in ``beyond[mode]``: under that mode
    it is not run at all (under ``self-check`` it could kill the test run or
    plant files in the kit). ``self-check`` is no sandbox; ``user`` cannot hide
    what every user may read.
    """
    case = json.loads((CORPUS / name / "case.json").read_text())
    if mode in case.get("beyond", {}):
        pytest.skip(f"beyond {mode} isolation: {case['beyond'][mode]}")
    return {**case, **case.get("modes", {}).get(mode, {})}


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    """Each case runs under each isolation mode (see ``isolation_modes.py``)."""
    return isolation_modes.use(request.param, monkeypatch)


@pytest.fixture(scope="session")
def other_checkout():
    """Another copy of the kit's answers on the same machine, readable by every user, as a second checkout is."""
    folder = Path(tempfile.mkdtemp(prefix="micrograd-kit-other-checkout-", dir="/var/tmp"))
    shutil.copytree(KIT_ROOT / "reference", folder / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def build(name, tmp_path, other_checkout=None):
    """The case's submission folder: its own modules, the rest copied from reference/ (or the stubs),
    links and planted files."""
    case, source = json.loads((CORPUS / name / "case.json").read_text()), CORPUS / name
    folder = tmp_path / name
    folder.mkdir()
    stubs = pristine_stub_sources()
    places = {"{KIT}": str(KIT_ROOT), "{REPORT}": str(tmp_path / "report.json"),
              "{OTHER}": str(other_checkout or "/nonexistent")}
    for module in MODULES:
        if module in case.get("missing", ()):
            continue
        if (source / f"{module}.py").exists():
            text = (source / f"{module}.py").read_text()
        else:
            if module in case.get("stub", ()):
                text = stubs[f"{module}.py"] + "\n"
            else:
                text = (KIT_ROOT / "reference" / f"{module}.py").read_text()
            if (source / f"{module}+.py").exists():
                text += (source / f"{module}+.py").read_text()
        for place, value in places.items():
            text = text.replace(place, value)
        (folder / f"{module}.py").write_text(text)
    shutil.copy(KIT_ROOT / "reference" / "__init__.py", folder / "__init__.py")
    for link, target in case.get("links", {}).items():
        path = folder / link
        path.unlink(missing_ok=True)
        path.symlink_to(KIT_ROOT / target)
    for module, origin in case.get("pyc", {}).items():
        plant_pyc(folder / f"{module}.py", KIT_ROOT / origin / f"{module}.py")
    return folder


def plant_pyc(graded, origin):
    """Write the cached bytecode Python's importer would trust for ``graded``, compiled from ``origin``."""
    stat = graded.stat()
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
    header += (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    code = compile(origin.read_text(), str(graded), "exec")
    cache = Path(importlib.util.cache_from_source(str(graded)))
    cache.parent.mkdir(exist_ok=True)
    cache.write_bytes(header + marshal.dumps(code))


def reference_answers():
    """Each self-test scenario run in this process on the reference itself."""
    import reference.derivatives
    import reference.engine
    import reference.nn
    import reference.train

    impl = types.SimpleNamespace(engine=reference.engine, nn=reference.nn, train=reference.train,
                                 derivatives=reference.derivatives)
    return {module: scenarios.function(scenario)(impl) for module, (scenario, _) in SELFTESTS.items()}


def hostile_modules(case):
    return set(case.get("sandbox", {})) | set(case.get("flags", ())) | set(case.get("missing", ()))


@pytest.fixture(scope="module")
def expected():
    return reference_answers()


@pytest.fixture(scope="module")
def report_schema():
    return json.loads((KIT_ROOT / "grader" / "schema" / "grade-report.schema.json").read_text())


@pytest.mark.parametrize("name", CASES)
def test_in_sandbox(name, tmp_path, expected, mode, other_checkout):
    """The hostile modules fail as the case says, a healthy one still answers like the reference, flags are exact."""
    case = load_case(name, mode)
    folder = build(name, tmp_path, other_checkout)
    hostile = hostile_modules(case)
    healthy = next(m for m in ("derivatives", "engine", "nn", "train") if m not in hostile)
    start = time.monotonic()
    with Sandbox(folder, call_timeout=case.get("timeout", CALL_TIMEOUT), memory_mb=MEMORY_MB) as sandbox:
        for module in case.get("order") or sorted(hostile) + [healthy]:
            check_selftest(sandbox, case, module, expected[module])
        assert sandbox.call("ping") == "pong"  # still serving after all of it
        flagged = {f["module"] for f in sandbox.flags + honesty.scan(folder)}
    assert flagged == set(case.get("flags", ())), sandbox.flags + honesty.scan(folder)
    reasons = {f["reason"] for f in sandbox.flags + honesty.scan(folder)}
    assert set(case.get("reasons", ())) <= reasons, reasons
    assert time.monotonic() - start < case["seconds"]


def check_selftest(sandbox, case, module, expected):
    scenario, from_reference = SELFTESTS[module]
    want = case["sandbox"].get(module)
    try:
        got = sandbox.call(scenario, modules=(module,), from_reference=from_reference)
    except GradedCodeError as error:
        assert want == type(error).__name__, f"{module}: {type(error).__name__}: {error.message}"
        assert case.get("message", {}).get(module, "") in error.message, error.message
        if want == "ImportFailed":  # charged once: asking again raises the remembered failure, no new import
            with pytest.raises(type(error)) as again:
                sandbox.call(scenario, modules=(module,), from_reference=from_reference)
            assert again.value is error
        return
    assert want in (None, "wrong"), f"{module} answered {got}, expected {want}"
    assert_plain(got)
    if want == "wrong":
        assert got != expected, f"{module}: a cheat produced the reference's answers"
    else:
        assert got == expected, f"{module}: {got} != {expected}"


@pytest.mark.parametrize("name", CASES)
def test_graded_end_to_end(name, tmp_path, monkeypatch, report_schema, mode, other_checkout, stub_grades):
    """A complete, valid report within the bound; the hostile stages lose points, every other stage scores full.

    Afterwards the kit and /dev/shm are as they were, nothing the submission
    started is still running, the report stays as written, and a grade of the
    pristine stubs scores what it scores on a clean machine.
    """
    case = load_case(name, mode)
    folder = build(name, tmp_path, other_checkout)
    monkeypatch.setenv("MICROGRAD_KIT_CALL_TIMEOUT", str(case.get("timeout", CALL_TIMEOUT)))
    monkeypatch.setenv("MICROGRAD_KIT_MEMORY_MB", str(MEMORY_MB))
    baseline = stub_grades(case["grade"]["stages"])  # (the first case of a mode grades the stubs now, first)
    kit_before, shm_before = kit_snapshot(), shm_snapshot()
    for _ in range(2 if case["grade"].get("twice") else 1):  # twice: what a run leaves behind must not help the next
        start = time.monotonic()
        api.grade(folder, stages=case["grade"]["stages"], report_path=tmp_path / "report.json")
        assert time.monotonic() - start < case["grade"]["seconds"]
        report_bytes = (tmp_path / "report.json").read_bytes()
        check_report(case, json.loads(report_bytes), report_schema)
    if case["grade"].get("linger"):  # what a process that outlived the run could do, it has had time to do
        time.sleep(case["grade"]["linger"])
    assert (tmp_path / "report.json").read_bytes() == report_bytes, "the report was rewritten after the grade"
    assert kit_snapshot() == kit_before, "the kit changed"
    assert shm_snapshot() == shm_before, "something was left in /dev/shm"
    assert stub_grade(tmp_path / "later", case["grade"]["stages"]) == baseline


def check_report(case, document, report_schema):
    jsonschema.validate(document, report_schema)
    grading = document["grading"]
    assert grading["errors"] == []  # nothing the submission did counts as the grader failing
    hostile = hostile_modules(case)
    flagged = {f["stage"] for f in grading["honesty"]["flags"]}
    for stage in grading["stages"]:
        uses_hostile = set(BY_ID[stage["id"]].modules) & hostile
        failures = [(c["name"], c["outcome"], c["message"]) for c in stage["checks"] if c["outcome"] != "passed"]
        if not uses_hostile or stage["id"] in case["grade"].get("full", ()):
            assert stage["score"] == stage["max_score"], failures
            assert stage["id"] not in flagged
        elif stage["id"] in case["grade"].get("partial", ()):
            assert 0 < stage["score"] < stage["max_score"], failures
        else:
            assert stage["score"] < stage["max_score"], f"stage {stage['id']} earned points from a cheat"
        if set(BY_ID[stage["id"]].modules) & set(case.get("flags", ())):
            assert stage["id"] in flagged and stage["score"] == 0


def kit_snapshot():
    """Every entry of the kit (but its virtual environments): its kind, and a regular file's bytes' hash.

    Compiled caches (``__pycache__``) change as the tests import things; there
    only an entry that is not a regular file counts (a FIFO planted where a
    ``.pyc`` would be read hangs every later run). ``.git`` is recorded by its
    top-level entries' names and kinds.
    """
    snapshot = {}
    for folder, dirs, files in os.walk(KIT_ROOT):
        # .hypothesis: the grading process's own cache (hypothesis writes it there while grading)
        dirs[:] = [d for d in dirs
                   if d not in (".nox", ".hypothesis") and not (folder == str(KIT_ROOT) and d == ".git")]
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            kind = S_IFMT(st.st_mode)
            if "__pycache__" in path and kind in (S_IFREG, S_IFDIR):
                continue
            digest = None
            if kind == S_IFREG:
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            snapshot[os.path.relpath(path, KIT_ROOT)] = (kind, digest)
    git = KIT_ROOT / ".git"
    if git.exists():
        entries = [git] if git.is_file() else list(git.iterdir())
        snapshot[".git"] = sorted((p.name, S_IFMT(p.lstat().st_mode)) for p in entries)
    return snapshot


def shm_snapshot():
    return sorted(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else []


def stub_grade(folder, stages):
    """The pristine stubs graded: each check's outcome and points."""
    folder.mkdir(exist_ok=True)
    for name, text in pristine_stub_sources().items():
        (folder / name).write_text(text)
    document = api.grade(folder, stages=stages)
    return [(c["nodeid"], c["outcome"], c["points"]) for s in document["grading"]["stages"] for c in s["checks"]]


@pytest.fixture(scope="module")
def stub_grades(tmp_path_factory):
    """What the stubs score, per mode and stages: graded once, before the first attack that asks for it.

    Every case compares a later grade with it, so an attack that left
    anything behind fails its own case, and the machine is clean for the next.
    """
    cache = {}

    def grades(stages):
        key = (os.environ.get("MICROGRAD_KIT_ISOLATION"), tuple(stages))
        if key not in cache:
            cache[key] = stub_grade(tmp_path_factory.mktemp("stubs"), stages)
        return cache[key]
    return grades


def assert_plain(value):
    """Answers cross the process boundary as JSON: only plain types can come back."""
    if isinstance(value, dict):
        assert all(type(k) is str for k in value)
        for v in value.values():
            assert_plain(v)
    elif isinstance(value, list):
        for v in value:
            assert_plain(v)
    else:
        assert type(value) in (int, float, str, bool, type(None)), type(value)


def test_the_corpus_covers_every_case_of_the_issue():
    """At least one submission per kind of misbehaviour the grader promises to survive."""
    outcomes = {}
    for name in CASES:
        for module, outcome in load_case(name)["sandbox"].items():
            outcomes.setdefault(outcome, []).append(name)
    for outcome in ("ImportFailed", "RaisedException", "TimedOut", "Crashed", "TooMuchMemory", "TooMuchOutput",
                    "NotImplementedYet", "wrong"):
        assert outcome in outcomes, outcome
    assert any(load_case(n).get("flags") and not load_case(n)["sandbox"] for n in CASES)  # caught at run time only
    keys = {"about", "missing", "links", "pyc", "order", "sandbox", "message", "flags", "reasons", "timeout",
            "seconds", "grade", "modes", "stub", "beyond"}
    for name in CASES:
        case = load_case(name)
        assert set(case.get("modes", {})) | set(case.get("beyond", {})) <= set(MODES) and all(
            set(overrides) <= keys - {"modes", "about"} for overrides in case.get("modes", {}).values()), name
        grade_keys = {"stages", "partial", "full", "seconds", "twice", "linger"}
        assert set(case) <= keys and set(case["grade"]) <= grade_keys, name
        assert set(case["grade"]["stages"]) <= set(BY_ID)
        assert hostile_modules(case) <= set(MODULES)


# ---- the static scan: code that reaches for the reference or the grader, and code that only mentions them ----

REACHES = {
    "import reference": "imports reference (line 1)",
    "from reference.engine import Value": "imports from reference.engine",
    "import grader.sandbox as s": "imports grader.sandbox",
    "from .. import reference": "imports from ..reference",
    "from ..grader import hints": "imports from ..grader",
    "import importlib\nimportlib.import_module('reference.nn')": "imports reference.nn with import_module()",
    "__import__('grader')": "imports grader with __import__()",
    "R = 'reference'\n__import__(R)": "imports reference with __import__()",
    "open('../reference/engine.py')": "uses the path '../reference/engine.py' with open()",
    "from pathlib import Path\nPath(__file__).parent.parent / 'reference' / 'nn.py'": "builds the path 'reference'",
    "import os\nos.path.join(os.path.dirname(__file__), '..', 'ref' + 'erence', 'x.py')": "with join()",
    "exec('import reference')": "runs code that imports reference",
    "import importlib.util as u\nu.spec_from_file_location('x', f'{KIT}/reference/engine.py')":
        "with spec_from_file_location()",
    "import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))":
        "adds a folder outside the submission (the kit's root) to sys.path",
    "import sys\nsys.path.append('..')": "to sys.path",
    "import sys\nsys.path += ['/home/me/micrograd-kit']": "to sys.path",
    "import sys, os\nsys.path.insert(0, os.getcwd())": "to sys.path",
    "from pathlib import Path\nimport sys\nsys.path.insert(0, str(Path(__file__).resolve().parents[1]))": "to sys.path",
}
MENTIONS = (
    "from . import engine\nfrom .engine import Value",
    '"""Compare with the reference implementation; see the grader docs."""\nreference = 3\nx = reference + 1',
    "def f(reference):\n    return reference.data",
    "class Value:\n    def __init__(self, d, label=''):\n        pass\nv = Value(1, label='reference')",
    "open('reference_notes.txt', 'w')",
    "import sys, os\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))",
    "grader = {'score': 1}\nprint(grader['score'])",
)


@pytest.mark.parametrize("source", REACHES)
def test_the_scan_flags_code_that_reaches_for_the_reference_or_the_grader(source, tmp_path):
    (tmp_path / "engine.py").write_text(source)
    reasons = [f["reason"] for f in honesty.scan(tmp_path)]
    assert reasons and all(r.startswith("engine.py ") for r in reasons)
    assert any(REACHES[source] in r for r in reasons), reasons


@pytest.mark.parametrize("source", MENTIONS)
def test_the_scan_leaves_code_that_only_mentions_them_alone(source, tmp_path):
    (tmp_path / "nn.py").write_text(source)
    assert honesty.scan(tmp_path) == []


def test_the_scan_passes_the_reference_and_the_stubs(pristine_stubs):
    assert honesty.scan(KIT_ROOT / "reference") == []
    assert honesty.scan(pristine_stubs) == []
