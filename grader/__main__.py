"""``python -m grader``: see ``grader/cli.py``."""

import importlib.machinery
import os
import sys

from . import KIT_ROOT

KIT_PACKAGES = ("grader", "reference")  # all the grading process imports from the kit's folder


class _KitPackages:
    """Finds the kit's own packages in the kit's folder, and nothing else there."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if path is None and name in KIT_PACKAGES:
            return importlib.machinery.PathFinder.find_spec(name, [str(KIT_ROOT)])
        return None


def confine_import_path():
    """The grading process imports only the kit's packages and the interpreter's own modules.

    ``python -m`` puts the current folder first on ``sys.path``. Run from inside a
    submission, its files would shadow the modules the grader imports later;
    run from the kit, so would anything graded code managed to leave there (a
    FIFO named ``decimal.py`` would stall every later grade). So neither folder
    stays on ``sys.path``: ``grader`` and ``reference`` are found by name, and
    installed packages' plugins are not looked for (that reads every folder on
    ``sys.path``).
    """
    here, kit = os.getcwd(), str(KIT_ROOT)
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) not in (here, kit)]
    sys.meta_path.insert(0, _KitPackages())
    os.environ["HYPOTHESIS_NO_PLUGINS"] = "1"


confine_import_path()

from .cli import main  # noqa: E402  (after the import path is settled)

sys.exit(main())
