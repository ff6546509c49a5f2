"""Every task a user runs: ``nox -s grade``, ``lab``, ``tests``, ``docs``, ``serve``, ``bench``, ``reset``,
``submit``, and for instructors ``collect``, ``gradescope`` and ``prairielearn``.

Environments are reused, and a warm environment skips installation entirely
(a stamp records what was installed), so a repeated ``nox -s grade`` costs
seconds, not a pip run.
"""

import hashlib
import json
import os
import pathlib

import nox
import nox.command

ROOT = pathlib.Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["grade"]
PYTHON = ["3.11", "3.12", "3.13", "3.14", None]  # the first found; None: nox's own Python


# Packages are compiled to bytecode when installed (pip does it anyway, uv when asked): where
# PYTHONDONTWRITEBYTECODE is set, as in many containers, every grade would otherwise compile
# pytest and hypothesis from source again, seconds each time.
INSTALL_ENV = {"UV_COMPILE_BYTECODE": "1"}
MKDOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's banner about MkDocs 2: the kit pins MkDocs 1.6


def install(session, group):
    """Install a dependency group, unless this environment already has exactly it."""
    requirements = nox.project.dependency_groups(PYPROJECT, group)
    digest = hashlib.sha256(json.dumps([requirements, INSTALL_ENV]).encode()).hexdigest()
    stamp = pathlib.Path(session.virtualenv.location) / f".micrograd-kit-{group}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    session.install(*requirements, env=INSTALL_ENV)
    stamp.write_text(digest)


def first_python():
    """The first supported Python on this machine, so one command works anywhere."""
    import shutil
    for version in PYTHON[:-1]:
        if shutil.which(f"python{version}"):
            return version
    return None


SITE = ROOT / "site"
SITE_SOURCES = ("docs", "mkdocs.yml", "reference")  # what the built site is made from


def site_outdated():
    """Whether site/ is missing, or older than anything it is built from."""
    index = SITE / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    return any(path.stat().st_mtime > built for name in SITE_SOURCES
               for path in ([ROOT / name] if (ROOT / name).is_file() else (ROOT / name).rglob("*"))
               if "__pycache__" not in path.parts)


@nox.session(python=first_python())
def grade(session):
    """Grade student/ (or --impl PATH); arguments after -- go to the grader.

    The grader's docs links open the built site's files, so a missing or
    outdated site/ is built right after the grade (the first time this also
    installs the docs tools).
    """
    install(session, "grade")
    outdated = site_outdated()
    env = {"MICROGRAD_KIT_SITE_PENDING": "1"} if outdated else {}
    try:
        session.run("python", "-m", "grader", *session.posargs, env=env)
    except nox.command.CommandFailed:  # a score below --fail-under, say: the links still need the site
        if outdated:
            build_site(session)
        raise
    if outdated:
        build_site(session)


def build_site(session):
    """Build site/ for the grader's links; a failure is told, never turned into a failed grade."""
    session.log("Building the docs site into site/ for the links above (this once, or after the docs change)")
    try:
        install(session, "docs")
        session.run("mkdocs", "build", "--quiet", env=MKDOCS_ENV)
    except nox.command.CommandFailed:
        session.warn("The docs site could not be built: run `nox -s docs` to see why (the grade above stands).")


@nox.session(python=first_python())
def lab(session):
    """JupyterLab on student/workbook.ipynb, where %grade grades you inline (-- ARGS go to JupyterLab)."""
    install(session, "grade")
    install(session, "lab")
    # the kit's root on the kernel's path: notebooks run in their own folder, yet import student and grader
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    session.run("jupyter", "lab", "student/workbook.ipynb", *session.posargs, env={"PYTHONPATH": path})


@nox.session(python=first_python())
def tests(session):
    """The kit's own test suite: engine, stubs, grader, corpora, docs."""
    install(session, "tests")
    session.run("python", "-m", "pytest", *session.posargs)




@nox.session(python=first_python())
def docs(session):
    """Build the site into site/ with mkdocs build --strict (pictures, examples, a sample grade: run at build time)."""
    install(session, "docs")
    session.run("mkdocs", "build", "--strict", *session.posargs, env=MKDOCS_ENV)


@nox.session(python=first_python())
def serve(session):
    """Serve the site at http://127.0.0.1:8000; while it runs, the grader's links point there."""
    install(session, "docs")
    session.run("mkdocs", "serve", *session.posargs, env=MKDOCS_ENV)


@nox.session(python=first_python())
def bench(session):
    """Benchmarks: the reference against the micrograd package, side by side."""
    install(session, "tests")
    session.run("python", "benchmarks/engine_vs_micrograd.py", *session.posargs)
    session.run("python", "benchmarks/grader_speed.py")


@nox.session(python=first_python())
def submit(session):
    """Hand in: nox -s submit -- --student-id ID grades student/ under the id (unless the latest report
    already is exactly that) and packs it with its report into dist/submission-ID.zip."""
    install(session, "grade")
    session.run("python", "-m", "grader", "submit", *session.posargs)


@nox.session(python=first_python())
def collect(session):
    """Regrade a class: nox -s collect -- SUBMISSIONS [--out DIR] (gradebook + class summary)."""
    install(session, "grade")
    session.run("python", "-m", "grader", "collect", *session.posargs)


@nox.session(python=first_python())
def gradescope(session):
    """Build dist/gradescope-autograder.zip to upload to Gradescope (-- --docs-url URL)."""
    install(session, "grade")
    session.run("python", "-m", "grader", "gradescope", "build", *session.posargs)


@nox.session(python=first_python())
def prairielearn(session):
    """Write dist/prairielearn/micrograd/, a PrairieLearn question graded by the kit (-- --docs-url URL)."""
    install(session, "grade")
    session.run("python", "-m", "grader", "prairielearn", "build", *session.posargs)


@nox.session(python=False)
def reset(session):
    """Put the pristine stubs back in student/ (your files are backed up first)."""
    session.run("python3", "-m", "grader.reset", *session.posargs)
