"""The command-line options official grading shares, each said once.

The Gradescope and PrairieLearn builds bake the same four settings into what
they write; ``collect`` reads the same secret; ``collect`` and ``verify``
choose the isolation of the grades they run alike (``isolation.official``).
"""

import os
from pathlib import Path

from .. import held_out, isolation
from ..stages import STAGES


def add_build_options(parser):
    """``--docs-url``, ``--stage``, ``--held-out-file`` and ``--allow-self-check``, as a platform build takes them."""
    parser.add_argument("--docs-url", default=os.environ.get("MICROGRAD_KIT_DOCS"),
                        help="where your course publishes the docs site, so feedback links work "
                             "(default: $MICROGRAD_KIT_DOCS)")
    parser.add_argument("--stage", action="append", choices=[s.id for s in STAGES],
                        help="grade only this stage, for an assignment that covers part of the kit "
                             "(repeatable; default: all)")
    parser.add_argument("--held-out-file", type=Path, metavar="FILE",
                        help="grade on held-out cases drawn from the secret in FILE (its first line; "
                             f"default: ${held_out.ENV}); the secret goes into what you upload, never into a result")
    parser.add_argument("--allow-self-check", action="store_true",
                        help="grade even where only the in-process guard isolates graded code "
                             "(default: refuse, and say so in each result)")


def add_isolation_options(parser):
    """``--isolation`` and ``--allow-self-check``, for a command that grades here, officially."""
    parser.add_argument("--isolation", choices=isolation.CHOICES, default=None, metavar="MODE",
                        help="how graded code is walled off: os, user, or auto, the strongest this machine "
                             f"gives (default: ${isolation.ENV} or auto); self-check needs --allow-self-check")
    parser.add_argument("--allow-self-check", action="store_true",
                        help="grade with the in-process guard alone when the machine gives no OS isolation "
                             "(a determined student can get around it); without it, such a machine is refused")


def held_out_secret(parser, path):
    """The secret from ``--held-out-file`` or the environment; None without one; a usage error when unusable."""
    try:
        return held_out.given(path)
    except (OSError, held_out.SecretError) as error:
        parser.error(f"--held-out-file: {getattr(error, 'strerror', None) or error}")
