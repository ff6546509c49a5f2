"""The stages of the kit, their points and their docs pages (SPEC.md's table)."""

import functools
import os
import socket
from dataclasses import dataclass

from . import KIT_ROOT

DOCS_ENV = "MICROGRAD_KIT_DOCS"  # a course's published copy of the site
SERVED = "http://127.0.0.1:8000/"  # where `nox -s serve` serves it
SITE_DIR = KIT_ROOT / "site"  # where `nox -s docs` (and `nox -s grade`, when it is missing) builds it
SITE_NAME = b"<title>Building micrograd"  # how the kit's own site is told from anything else on port 8000


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    points: int
    page: str  # docs page, relative to the site root
    modules: tuple  # the submission's modules this stage's checks run


STAGES = (
    Stage("0", "Derivatives by hand", 10, "stages/0-derivatives.html", ("derivatives",)),
    Stage("1", "The forward pass", 20, "stages/1-forward-pass.html", ("engine",)),
    Stage("2", "Local backward rules", 20, "stages/2-backward-rules.html", ("engine",)),
    Stage("3", "Backpropagation", 20, "stages/3-backpropagation.html", ("engine",)),
    Stage("4", "The neural-network library", 15, "stages/4-neural-net.html", ("nn",)),
    Stage("5", "Training", 15, "stages/5-training.html", ("train",)),
    Stage("bonus", "Agreement with PyTorch", 0, "stages/bonus-pytorch.html", ("engine",)),
)
BY_ID = {s.id: s for s in STAGES}
MAX_SCORE = sum(s.points for s in STAGES)
MODULES = ("engine", "nn", "train", "derivatives")


@functools.cache
def docs_base():
    """Where the grader's links point, decided once per run so every link agrees.

    ``$MICROGRAD_KIT_DOCS`` when a course publishes the site; else the running
    ``nox -s serve``; else the built site's files, which open with no server.
    """
    published = os.environ.get(DOCS_ENV, "").strip()
    if published:
        return published.rstrip("/") + "/"
    if _serving():
        return SERVED
    return SITE_DIR.as_uri() + "/"


def docs_url(path):
    """An absolute link to a page (``stages/1-forward-pass.html``, optionally ``#anchor``) of the docs site.

    Pages are files (mkdocs.yml), so one link opens served and from ``site/``
    alike; the home page is named, which only ``site/`` needs.
    """
    page, hash_, anchor = path.lstrip("/").partition("#")
    return docs_base() + (page or "index.html") + hash_ + anchor


def site_missing():
    """True when the links point at the built site's files and it has not been built."""
    return docs_base() == SITE_DIR.as_uri() + "/" and not (SITE_DIR / "index.html").is_file()


def _serving():
    """Whether `nox -s serve` answers on its address now (refused at once when nothing listens)."""
    try:
        with socket.create_connection(("127.0.0.1", 8000), timeout=0.3) as connection:
            connection.settimeout(0.5)
            connection.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1:8000\r\n\r\n")
            answer = b""
            while len(answer) < 64 * 1024 and SITE_NAME not in answer:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return SITE_NAME in answer
    except OSError:
        return False
