"""MkDocs hook: LaTeX to MathML at build time, so maths needs no JavaScript and no CDN.

Pages write ``$...$`` and ``$$...$$``; ``pymdownx.arithmatex`` (``generic: true``)
wraps them as ``<span class="arithmatex">\\(...\\)</span>`` and
``<div class="arithmatex">\\[...\\]</div>``, and this hook swaps each for the
MathML that ``math-core`` produces, which browsers lay out natively.

A display formula sits in a box that scrolls sideways when it is wider than
the page; the box takes the keyboard focus (``tabindex="0"``) and is named,
so that it can be scrolled without a mouse, as Material's code blocks can.
"""

import html
import pathlib
import re

import math_core
from mkdocs.exceptions import PluginError

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
_converter = math_core.LatexToMathML(fancy_error=False)
BLOCK_OPEN = '<div class="math-block" tabindex="0" role="group" aria-label="Formula">'


def to_mathml(latex, display, where="LaTeX"):
    """MathML for one formula; a clear error naming the page and the formula otherwise."""
    try:
        return _converter.convert_with_local_state(latex.strip(), displaystyle=display)
    except math_core.LatexError as error:
        raise PluginError(f"{where}: cannot typeset ${latex.strip()}$: {str(error).strip()}") from None


def convert(page_html, where="page"):
    """Replace every arithmatex wrapper in a page's HTML with MathML."""
    page_html = _BLOCK.sub(
        lambda m: BLOCK_OPEN + to_mathml(html.unescape(m.group(1)), True, where) + "</div>",
        page_html)
    return _INLINE.sub(lambda m: to_mathml(html.unescape(m.group(1)), False, where), page_html)


def on_page_content(page_html, page, config, files):
    return convert(page_html, f"{pathlib.Path(config.docs_dir).name}/{page.file.src_uri}")
