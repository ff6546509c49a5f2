"""Every docs link the grader prints resolves to a page and an anchor of the built site.

The hint catalogue (``grader/hints.py``) points each hint at ``page#id``; the
pages teach each mistake under a heading with that id, in their "Common
mistakes" section (general hints: on the getting-started page). A hint added
to the catalogue without its section, or a section left behind by a removed
hint, fails here.
"""

import re

import pytest

from grader.hints import GENERAL_PAGE, HINTS
from grader.stages import STAGES
from test_docs_build import built_site  # noqa: F401 -- the session's one build

HEADING = re.compile(r'<h([1-6]) id="([^"]+)"')


def headings(site, page):
    """(level, id) of every heading of a built page, in order; page as the grader writes it."""
    path = site / page / "index.html"
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
    assert hint.docs.endswith(f"/{hint.page}#{hint.id}")
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
