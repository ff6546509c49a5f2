"""MkDocs hook: every Python example on the site runs at build time, on the reference.

Why at build time rather than in a test: the printed output shown under each
example is produced by this very run, so the page can never show output its
code does not produce, and a broken example stops ``mkdocs build --strict``
with the page and line, before anyone reads it.

Examples are written the way a student runs them, against ``student``
(``from student.engine import Value``); here ``student`` is bound to
``reference`` while they run, so they show what a finished ``student/`` does.
The ```` ```python ```` blocks of one page run in order in one namespace, like
a notebook. A block whose fence says ```` ```python fragment ```` (a method
shown out of its class, a mistake shown on purpose) is only compiled.

A ```` ```text grade ```` block shows a real run of the grader: its body
names one mistake (``module``, ``find``, ``replace``, ``stage``), and the
block becomes what ``nox -s grade -- --stage N`` prints for the reference
with that mistake, graded at build time, so the sample always shows what
the grader says today.
"""

import contextlib
import io
import logging
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback

from mkdocs.exceptions import PluginError

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULES = ("engine", "nn", "train", "derivatives")
FENCE = re.compile(
    r"^(?P<indent>[ ]*)(?P<fence>`{3,})python(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ ]*$",
    re.M | re.S,
)
GRADE_FENCE = re.compile(r"^(?P<fence>`{3,})text grade[ ]*\n(?P<body>.*?)^(?P=fence)[ ]*$", re.M | re.S)
SAMPLE_HOME = "/home/me/micrograd-kit"  # where the sample's kit seems to be: a student's, not the build's
log = logging.getLogger("mkdocs.hooks.examples")


@contextlib.contextmanager
def student_is_reference():
    """Make ``import student...`` load the reference for the duration of the block."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import reference
    names = ["student", *(f"student.{m}" for m in MODULES)]
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules["student"] = reference
    for module in MODULES:
        sys.modules[f"student.{module}"] = __import__(f"reference.{module}", fromlist=["_"])
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def run_block(source, namespace, where, first_line):
    """Run one example; return what it printed. A failure names the page and line."""
    padded = "\n" * (first_line - 1) + source  # so tracebacks give the line in the page
    try:
        code = compile(padded, where, "exec")
    except SyntaxError as error:
        raise PluginError(f"{where}, line {error.lineno}: the example is not valid Python: {error.msg}") from None
    out = io.StringIO()
    try:
        with student_is_reference(), contextlib.redirect_stdout(out):
            exec(code, namespace)
    except Exception as error:  # noqa: BLE001 -- any failure of an example is reported the same way
        lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == where]
        line = lines[-1] if lines else first_line
        raise PluginError(
            f"{where}, line {line}: the example raised {type(error).__name__}: {error}") from None
    return out.getvalue()


def compile_fragment(source, where, first_line):
    try:
        compile("\n" * (first_line - 1) + source, where, "exec")
    except SyntaxError as error:
        raise PluginError(f"{where}, line {error.lineno}: the fragment is not valid Python: {error.msg}") from None


def run_examples(markdown, where):
    """The page's Markdown with each example's printed output shown under it."""
    namespace = {"__name__": "__example__"}
    pieces, last = [], 0
    for match in FENCE.finditer(markdown):
        indent, fence, info = match["indent"], match["fence"], match["info"].split()
        body = textwrap.dedent(match["body"])
        first_line = markdown.count("\n", 0, match.start("body")) + 1
        pieces.append(markdown[last:match.start()])
        last = match.end()
        header = " ".join(word for word in info if word != "fragment")
        pieces.append(f"{indent}{fence}python {header}".rstrip() + "\n" + match["body"] + f"{indent}{fence}")
        if "fragment" in info:
            compile_fragment(body, where, first_line)
            continue
        printed = run_block(body, namespace, where, first_line)
        if printed:
            shown = textwrap.indent(printed.rstrip("\n"), indent)
            pieces.append(f'\n\n{indent}{fence}text title="Output"\n{shown}\n{indent}{fence}')
    pieces.append(markdown[last:])
    return "".join(pieces)


def grade_sample(body, where):
    """What the grader prints for the reference with the one mistake ``body`` describes."""
    fields = dict(line.split(": ", 1) for line in body.strip().splitlines())
    missing = {"module", "find", "replace", "stage"} - set(fields)
    if missing:
        raise PluginError(f"{where}: a `text grade` block needs {', '.join(sorted(missing))}")
    with tempfile.TemporaryDirectory() as scratch:
        student = pathlib.Path(scratch) / "student"
        shutil.copytree(ROOT / "reference", student, ignore=shutil.ignore_patterns("__pycache__"))
        path = student / f"{fields['module']}.py"
        source = path.read_text()
        if source.count(fields["find"]) != 1:
            raise PluginError(f"{where}: `{fields['find']}` is not exactly once in reference/{path.name}")
        path.write_text(source.replace(fields["find"], fields["replace"]))
        env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT),
               "MICROGRAD_KIT_DOCS": f"file://{SAMPLE_HOME}/site/"}
        env.pop("MICROGRAD_KIT_STUDENT_ID", None)
        done = subprocess.run([sys.executable, "-X", "utf8", "-m", "grader", "--impl", "student", "--stage",
                               fields["stage"], "--report", "reports/grade-report.json"],
                              cwd=scratch, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or "What to fix" not in done.stdout:
        raise PluginError(f"{where}: grading the sample failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout.replace("report: reports/", f"report: {SAMPLE_HOME}/reports/")


def run_grade_samples(markdown, where):
    return GRADE_FENCE.sub(lambda m: f"{m['fence']}text\n{grade_sample(m['body'], where)}{m['fence']}", markdown)


def on_page_markdown(markdown, page, config, files):
    start = time.perf_counter()
    where = f"{pathlib.Path(config.docs_dir).name}/{page.file.src_uri}"
    result = run_examples(run_grade_samples(markdown, where), where)
    elapsed = time.perf_counter() - start
    if elapsed > 0.5:
        log.info("examples: %s took %.1f s", page.file.src_uri, elapsed)
    return result
