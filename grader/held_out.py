"""Held-out grading: the property checks' cases drawn from the instructor's secret.

hypothesis derives a derandomized check's seed from the check itself, so a
student's local run sees exactly the cases of an ordinary grade. Given a
secret, every property check is seeded from a hash of the secret and the
check's name instead: the same secret gives the same cases (a regrade
compares), another secret other cases, and a student who never saw the
secret never saw them. The explicit examples (``@example``) still run first:
they are the lecture's, not secret.

The secret stays in the grading process: workers get a clean environment and
only scenario arguments, and the report records only that the grade was held
out. The instructor tools take it from ``$MICROGRAD_KIT_HELD_OUT`` or a file,
never from a command line a process listing shows.
"""

import hashlib
import os
from pathlib import Path

ENV = "MICROGRAD_KIT_HELD_OUT"
# where a platform bundle carries the secret: inside grader/, which graded code may not read
SECRET_FILE = Path("grader") / "instructor" / "held-out.secret"
_OWN_SEED = "_micrograd_kit_own_seed"


class SecretError(ValueError):
    """The secret given cannot be used; the message says why."""


def check_secret(secret):
    """``secret`` stripped, or SecretError: an empty secret would hold nothing out."""
    secret = (secret or "").strip()
    if not secret:
        raise SecretError("the held-out secret is empty")
    if not secret.isprintable():
        raise SecretError("the held-out secret must be one line of printable text")
    return secret


def from_environment(environ=os.environ):
    """The secret in ``$MICROGRAD_KIT_HELD_OUT``, or None."""
    value = environ.get(ENV)
    return check_secret(value) if value is not None else None


def read_file(path):
    """The secret a file holds (its first line), or None when there is no such file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return check_secret(text.splitlines()[0] if text.strip() else "")


def given(path=None, environ=os.environ):
    """The secret an instructor tool was given: ``path``'s (which must exist), else ``$MICROGRAD_KIT_HELD_OUT``'s.

    None when neither is given; OSError or SecretError when it cannot be used.
    """
    if path is None:
        return from_environment(environ)
    secret = read_file(path)
    if secret is None:
        raise FileNotFoundError(2, f"there is no file {path}")
    return secret


def seed(secret, check):
    """The seed of property check ``check`` (its node id without parameters) under ``secret``."""
    digest = hashlib.sha256(b"micrograd-kit held-out\0" + secret.encode() + b"\0" + check.encode()).digest()
    return int.from_bytes(digest[:16], "big")


class Seeding:
    """pytest plugin: seeds every property check from the secret, or leaves hypothesis's own seed.

    The check functions outlive one ``pytest.main`` when the kit grades
    twice in one process, so a check seeded by one run is given back its own
    seed by the next.
    """

    def __init__(self, secret):
        self.secret = secret

    def pytest_collection_modifyitems(self, items):
        for item in items:
            test = getattr(item, "obj", None)
            if not getattr(test, "is_hypothesis_test", False):
                continue
            if not hasattr(test, "_hypothesis_internal_use_seed"):
                raise RuntimeError("this hypothesis version keeps a check's seed elsewhere: held-out "
                                   "grading cannot seed the checks")
            if _OWN_SEED not in vars(test):
                setattr(test, _OWN_SEED, test._hypothesis_internal_use_seed)
            if self.secret is None:
                test._hypothesis_internal_use_seed = getattr(test, _OWN_SEED)
            else:
                from hypothesis import seed as hypothesis_seed

                hypothesis_seed(seed(self.secret, item.nodeid.split("[", 1)[0]))(test)
