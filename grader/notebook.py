"""``%grade`` in a notebook: grade ``student/`` from the kernel and show the result in the cell.

``%load_ext grader`` registers the magic; ``%grade`` grades every stage and
``%grade 2`` one stage (``%grade 1 2`` several). The grading is the command
line's: the same checks, the same workers (so the student's latest saved
code is graded, whatever the kernel has imported), and the same
``reports/grade-report.json``, ``reports/grade-report.html`` and history.
The cell shows the HTML report, framed; should that page fail to be
written, it shows the terminal's text instead.
"""

import html
import re

from IPython.core.error import UsageError
from IPython.display import HTML, display

from . import KIT_ROOT, api, cli, report, terminal
from .cli import DEFAULT_REPORT

URL = re.compile(r"(?:https?|file)://[^\s<>\"']+")
MAGIC_HELP = f"%grade grades every stage, %grade 2 only stage 2 (the stages: {', '.join(api.STAGE_IDS)})"


def load_ipython_extension(ipython):
    ipython.register_magic_function(grade, magic_kind="line", magic_name="grade")


def grade(line=""):
    """Grade student/, write the report(s) as ``nox -s grade`` does, and show the result in the cell:
    ``%grade`` for every stage, ``%grade 2`` for one."""
    stages = parse_stages(line)
    try:
        document = api.grade(KIT_ROOT / "student", stages=stages)
    except api.UsageError as error:
        raise UsageError(f"%grade: {error}") from None
    except (KeyboardInterrupt, api.GradingInterrupted):
        raise UsageError("%grade was interrupted: no report written") from None
    except Exception as error:  # the grader's own bug: one line, as on the command line
        raise UsageError(f"%grade: the grader itself failed ({type(error).__name__}: {error}); "
                         "this is a problem in the kit, not in your code") from None
    try:
        report.write(document, DEFAULT_REPORT)
    except (OSError, ValueError) as error:
        raise UsageError(f"%grade could not write the report to {_shown(DEFAULT_REPORT)}: "
                         f"{getattr(error, 'strerror', None) or error}") from None
    # the HTML report and the student's history, exactly as `nox -s grade` writes them; None (and a
    # warning on stderr) when the page could not be written: the terminal's text shows the grade then
    page = cli.write_html(document, DEFAULT_REPORT, graded=document)
    display(HTML(terminal_text(document) if page is None else framed(page.read_text(encoding="utf-8"))))


def parse_stages(line):
    """The stage ids named on the magic's line, ``None`` for all; a one-line UsageError otherwise."""
    words = line.split()
    unknown = [word for word in words if word not in api.STAGE_IDS]
    if unknown:
        raise UsageError(f"%grade: there is no stage {', '.join(unknown)}. {MAGIC_HELP}")
    return words or None


def terminal_text(document):
    """The terminal's report as HTML, its links clickable: what a kit without the HTML report shows."""
    text = terminal.render(document, style=terminal.Style(color=False, unicode=True),
                           report_path=_shown(DEFAULT_REPORT))
    linked = URL.sub(lambda m: f'<a href="{m[0]}" target="_blank">{m[0]}</a>', html.escape(text, quote=False))
    return f'<pre class="micrograd-kit-grade">{linked}</pre>'


def framed(page):
    """The HTML report's page in a frame, so that its styles cannot restyle JupyterLab; the frame
    grows to the page's height once loaded."""
    return (f'<iframe title="Grade report" srcdoc="{html.escape(page, quote=True)}" '
            'style="width: 100%; height: 36rem; border: 1px solid #ccc; border-radius: 4px" '
            'onload="this.style.height = (this.contentDocument.documentElement.scrollHeight + 24) + \'px\'">'
            f'</iframe><p>Report: {_shown(DEFAULT_REPORT)} and {_shown(cli.html_path(DEFAULT_REPORT))}</p>')


def _shown(path):
    """A report's path as the student sees the kit: relative to its root."""
    try:
        return str(path.relative_to(KIT_ROOT))
    except ValueError:
        return str(path)
