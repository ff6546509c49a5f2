"""Every docs link the grader prints resolves to a page and an anchor of the built site.

The hint catalogue (``grader/hints.py``) points each hint at ``page#id``; the
pages teach each mistake under a heading with that id, in their "Common
mistakes" section (general hints: on the getting-started page). A hint added
to the catalogue without its section, or a section left behind by a removed
hint, fails here.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_corpus import BASE, MUTATIONS, assemble

from conftest import KIT_ROOT
from grader.hints import GENERAL_PAGE, HINTS
from grader.stages import SITE_DIR, STAGES, _serving
from test_docs_build import built_site  # noqa: F401 -- the session's one build

HEADING = re.compile(r'<h([1-6]) id="([^"]+)"')


def headings(site, page):
    """(level, id) of every heading of a built page, in order; page as the grader writes it."""
    path = site / page
    assert path.is_file(), f"no page {page}"
    return [(int(level), anchor) for level, anchor in HEADING.findall(path.read_text(encoding="utf-8"))]


def mistakes_section(site, page):
    """The ids of the headings inside a page's "Common mistakes" section."""
    found, inside = [], False
    for level, anchor in headings(site, page):
        if level == 2:
            inside = anchor == "common-mistakes"
        elif inside and level == 3:
            found.append(anchor)
    return found


@pytest.mark.parametrize("hint", sorted(HINTS.values(), key=lambda h: (h.stage, h.id)), ids=lambda h: h.id)
def test_hint_link_resolves_to_its_section(built_site, hint):  # noqa: F811
    assert hint.docs.removesuffix(f"#{hint.id}").endswith(f"/{hint.page}")
    if hint.stage == "general":
        anchors = [anchor for level, anchor in headings(built_site.site, hint.page) if level == 3]
    else:
        anchors = mistakes_section(built_site.site, hint.page)
    assert hint.id in anchors, (
        f"hint {hint.id!r} links to {hint.page}#{hint.id}, but that page has no such heading "
        f"in its {'general hints' if hint.stage == 'general' else 'Common mistakes'} section: "
        f"add `### {hint.title} {{#{hint.id}}}` with its explanation")


def test_every_stage_page_exists(built_site):  # noqa: F811
    for stage in STAGES:
        assert headings(built_site.site, stage.page), stage.page


def test_every_mistake_section_is_a_hint_of_its_page(built_site):  # noqa: F811
    """No stale sections: each graded stage's mistakes, and the general ones, are the catalogue's."""
    for stage in STAGES:
        if stage.points == 0:
            continue  # the bonus page's mistakes are advice, not grader hints
        expected = {h.id for h in HINTS.values() if h.stage == stage.id}
        assert set(mistakes_section(built_site.site, stage.page)) == expected, stage.page
    general = {h.id for h in HINTS.values() if h.stage == "general"}
    assert general <= {anchor for _, anchor in headings(built_site.site, GENERAL_PAGE)}


URL = re.compile(r"\b(?:https?|file)://[^\s\"'<>)]+")


def _links(value):
    """Every URL in a report document's strings."""
    if isinstance(value, str):
        yield from URL.findall(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _links(item)
    elif isinstance(value, list):
        for item in value:
            yield from _links(item)


def _grade_with_site(folder, site, report):
    """A real ``python -m grader`` run whose links point at ``site`` (as a course's copy would)."""
    env = {**os.environ, "MICROGRAD_KIT_DOCS": site.as_uri() + "/", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "grader", "--impl", str(folder), "--report", str(report)],
                          cwd=KIT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(report.read_text())


def test_every_link_in_a_real_grade_opens_a_built_file_and_anchor(built_site, pristine_stubs, tmp_path):  # noqa: F811
    """Offline, with no server: each link the terminal and the report give names a file of the site."""
    buggy = assemble(BASE, tmp_path / "buggy")
    for mutation in MUTATIONS[:1] + [m for m in MUTATIONS if m["name"] == "no seed"]:
        path = buggy / f"{mutation['module']}.py"
        path.write_text(path.read_text().replace(mutation["find"], mutation["replace"]))
    links = set()
    for name, folder in (("stubs", pristine_stubs), ("buggy", buggy)):
        text, document = _grade_with_site(folder, built_site.site, tmp_path / f"{name}.json")
        found = set(URL.findall(text))
        assert found, f"no link in the {name} grade's output"
        links |= found | set(_links(document["grading"]))
    assert any("#" in link for link in links)
    for link in sorted(links):
        parts = urlsplit(link)
        assert parts.scheme == "file", link
        path = Path(unquote(parts.path))
        assert path.is_file() and path.is_relative_to(built_site.site), f"{link}: no such file"
        if parts.fragment:
            assert f'id="{parts.fragment}"' in path.read_text(encoding="utf-8"), f"{link}: no such anchor"


def test_links_name_the_built_sites_files_when_no_server_runs_and_no_course_copy_is_set():
    env = {k: v for k, v in os.environ.items() if k != "MICROGRAD_KIT_DOCS"}
    done = subprocess.run(
        [sys.executable, "-c", "from grader.stages import docs_url; print(docs_url('getting-started.html#timed-out'))"],
        cwd=KIT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    expected = "http://127.0.0.1:8000/getting-started.html#timed-out" if _serving() else \
        SITE_DIR.as_uri() + "/getting-started.html#timed-out"
    assert done.stdout.strip() == expected
