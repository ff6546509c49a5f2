"""``python -m grader``: see ``grader/cli.py``."""

import os
import sys

from . import KIT_ROOT


def confine_import_path():
    """The grading process imports only from the kit and the interpreter's own folders.

    ``python -m`` puts the current folder first on ``sys.path``; run from inside
    a submission, its files would shadow the modules the grader imports later.
    Installed-package plugins are not looked for either: that reads every
    folder on ``sys.path``.
    """
    here, kit = os.getcwd(), str(KIT_ROOT)
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here] if here != kit else sys.path
    if kit not in sys.path:
        sys.path.insert(0, kit)
    os.environ["HYPOTHESIS_NO_PLUGINS"] = "1"


confine_import_path()

from .cli import main  # noqa: E402  (after the import path is settled)

sys.exit(main())
