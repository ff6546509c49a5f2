"""The docs site: `mkdocs build --strict` passes, fast, and gives a complete, offline site.

The build runs once per test session (``built_site``); the link and browser
tests import that fixture and reuse the same build.
"""

import importlib.util
import os
import re
import resource
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html import unescape

import pytest
import yaml
from mkdocs.exceptions import PluginError
from conftest import KIT_ROOT

HOOKS = KIT_ROOT / "docs" / "hooks"
BUILD_BUDGET_S = 20.0
STAGE_PAGES = {
    "0": "stages/0-derivatives.md", "1": "stages/1-forward-pass.md", "2": "stages/2-backward-rules.md",
    "3": "stages/3-backpropagation.md", "4": "stages/4-neural-net.md", "5": "stages/5-training.md",
    "bonus": "stages/bonus-pytorch.md",
}
_builds = {}  # one build per test session, shared by every module that imports built_site


def nav_pages():
    """Every page of the site's navigation, as its Markdown path under docs/."""
    def walk(items):
        for item in items:
            for value in item.values():
                yield from walk(value) if isinstance(value, list) else [value]
    return list(walk(yaml.safe_load((KIT_ROOT / "mkdocs.yml").read_text())["nav"]))


def page_html(site, md_path):
    """The built HTML of a page given by its Markdown path (``stages/1-forward-pass.md``)."""
    stem = md_path.removesuffix(".md")
    built = site / f"{stem}.html"
    return built.read_text(encoding="utf-8")


def page_text(html):
    """A page's text without its tags (highlighted code is split into many spans)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


class Build:
    def __init__(self, site, seconds, cpu_seconds, output):
        self.site, self.seconds, self.cpu_seconds, self.output = site, seconds, cpu_seconds, output


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site, built for real with ``mkdocs build --strict`` into a temporary folder."""
    if "site" not in _builds:
        site = tmp_path_factory.mktemp("docs") / "site"
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        start, cpu_before = time.perf_counter(), _children_cpu()
        done = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(KIT_ROOT / "mkdocs.yml"), "-d", str(site)],
            cwd=KIT_ROOT, env=env, capture_output=True, text=True, timeout=300)
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu_before
        assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
        _builds["site"] = Build(site, seconds, cpu, done.stdout + done.stderr)
    return _builds["site"]


def test_build_is_strict_clean_and_fast(built_site):
    """Fast means the build's own CPU time: wall time also counts whatever else the machine runs."""
    print(f"\nmkdocs build --strict: {built_site.seconds:.1f} s wall, {built_site.cpu_seconds:.1f} s CPU "
          f"(budget {BUILD_BUDGET_S:.0f} s)")
    assert "WARNING" not in built_site.output
    assert built_site.cpu_seconds < BUILD_BUDGET_S


def test_every_nav_page_is_built_and_stage_pages_follow_the_template(built_site):
    pages = nav_pages()
    assert set(STAGE_PAGES.values()) <= set(pages)
    for md in pages:
        assert "<h1" in page_html(built_site.site, md), md
    for stage, md in STAGE_PAGES.items():
        html = page_html(built_site.site, md)
        assert f"nox -s grade -- --stage {stage}" in page_text(html), f"{md} lacks its grading command"
        assert 'id="common-mistakes"' in html, f"{md} lacks its Common mistakes section"
        if stage != "bonus":
            assert 'class="doc doc-heading"' in html, f"{md} does not render what to implement"
            assert 'class="admonition' in html, f"{md} calls nothing out"


def test_pictures_are_generated_valid_and_all_used(built_site):
    generated = sorted((built_site.site / "generated").glob("*.svg"))
    assert len(generated) >= 7
    pages = "".join(page_html(built_site.site, md) for md in nav_pages())
    for svg in generated:
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg"), svg.name
        assert len(list(root.iter())) > 20, f"{svg.name} is nearly empty"
        assert f"generated/{svg.name}" in pages, f"{svg.name} is drawn but no page shows it"


def test_maths_is_mathml_and_nothing_loads_from_the_internet(built_site):
    tags = re.compile(r"<(script|link|img|iframe|source|video|audio)\b[^>]*>", re.I)
    remote = re.compile(r'\b(?:src|href)="(?:https?:)?//', re.I)
    for md in nav_pages():
        html = page_html(built_site.site, md)
        assert 'class="arithmatex"' not in html, f"{md}: maths left untypeset"
        loads = [tag.group(0) for tag in tags.finditer(html)
                 if remote.search(tag.group(0)) and 'rel="canonical"' not in tag.group(0)]
        assert not loads, f"{md} loads from the internet: {loads}"
        assert "fonts.googleapis" not in html and "mathjax" not in html.lower(), md
    assert "<math" in page_html(built_site.site, "stages/0-derivatives.md")


def test_api_reference_shows_the_stubs_never_the_reference(built_site):
    html = page_html(built_site.site, "api.md")
    assert 'id="student.engine.Value.backward"' in html
    assert 'id="student.nn.MLP"' in html
    for page in nav_pages():
        assert 'id="reference.' not in page_html(built_site.site, page), page
    for solution_only in ("_BACKWARD_RULES", "_mul_backward", "__slots__"):
        assert solution_only not in html


def test_examples_show_the_output_their_code_prints(built_site):
    text = page_text(page_html(built_site.site, "stages/3-backpropagation.md"))
    assert re.search(r"a: data +2\.0 +grad +6\.0", text), "the lecture's gradients are not shown"


# ---- the build hooks, in-process: cheap checks of their failure messages ----

def _hook(name):
    """A build hook module, loaded from its file under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_failing_example_stops_the_build_naming_page_and_line():
    examples = _hook("examples")
    page = "Intro\n\n```python\nx = 1\n```\n\nMore\n\n```python\ny = 1 / 0\n```\n"
    with pytest.raises(PluginError, match=r"docs/p\.md, line 10: the example raised ZeroDivisionError"):
        examples.run_examples(page, "docs/p.md")


def test_examples_run_on_the_reference_share_a_namespace_and_show_their_output():
    examples = _hook("examples")
    page = ("```python\nfrom student.engine import Value\nv = Value(2.0) * 3\n```\n\n"
            "    ```python\n    print(v.data)\n    ```\n\n"
            "```python fragment\n    def half(self): return self * 0.5\n```\n")
    shown = examples.run_examples(page, "docs/p.md")
    assert '    ```text title="Output"\n    6.0\n    ```' in shown
    assert "fragment" not in shown
    assert "student" not in sys.modules or not sys.modules["student"].__name__.startswith("reference")


def test_a_fragment_is_compiled_and_a_syntax_error_reported():
    examples = _hook("examples")
    with pytest.raises(PluginError, match=r"docs/p\.md, line 2: the fragment is not valid Python"):
        examples.run_examples("```python fragment\ndef broken(:\n```\n", "docs/p.md")


def test_bad_latex_names_the_page_and_the_formula():
    mathml = _hook("mathml")
    assert mathml.convert('<span class="arithmatex">\\(a &lt; b\\)</span>').startswith("<math")
    with pytest.raises(PluginError, match=r"docs/p\.md: cannot typeset \$\\frac\{a\$"):
        mathml.convert('<span class="arithmatex">\\(\\frac{a\\)</span>', "docs/p.md")
