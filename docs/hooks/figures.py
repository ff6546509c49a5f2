"""MkDocs hook: the site's pictures, computed from ``reference/`` at build time.

Each picture is produced by running the reference engine (a graph and its
gradients, a real training run, a real descent), so a picture can never
disagree with the code. They are added to the build as in-memory files under
``generated/`` (pages link to ``../generated/NAME.svg``): nothing is written
into ``docs/`` and nothing is committed.
"""

import gc
import hashlib
import logging
import math
import pathlib
import random
import sys
import time

from mkdocs.structure.files import File

import graph_svg
import plots

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for `reference`, when mkdocs runs from elsewhere

from reference.engine import Value  # noqa: E402
from reference.nn import MLP  # noqa: E402
from reference.train import mse_loss, sgd_step, train  # noqa: E402

log = logging.getLogger("mkdocs.hooks.figures")
_cache = {}  # sources digest -> {name: svg}; survives `mkdocs serve` rebuilds


def lecture_expression():
    """The lecture's first expression, L = (a*b + c) * f, with every node labelled."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L


def lecture_neuron():
    """The lecture's neuron, o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1w1", "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def tanh_figure():
    xs = [i / 20 for i in range(-80, 81)]
    ts, grads = [], []
    for x in xs:
        v = Value(x)
        t = v.tanh()
        t.backward()
        ts.append(t.data)
        grads.append(v.grad)
    return plots.tanh_svg(xs, ts, grads)


LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def loss_curve_figure():
    random.seed(1337)
    model = MLP(3, [4, 4, 1])
    losses = train(model, LECTURE_XS, LECTURE_YS, steps=60, lr=0.1)
    caption = "MLP(3, [4, 4, 1]) on the lecture's four examples, lr = 0.1 (random.seed(1337))"
    return plots.loss_curve_svg(losses, caption)


# The mountain: the loss of one tanh neuron y = tanh(w*x + b) fitted to five points.
DESCENT_XS = [-2.0, -1.0, 0.0, 1.0, 2.0]
DESCENT_YS = [math.tanh(1.5 * x - 0.5) for x in DESCENT_XS]


def descent_loss(w, b):
    return mse_loss([(w * x + b).tanh() for x in DESCENT_XS], DESCENT_YS)


def descent_figure():
    w, b = Value(-1.8), Value(1.6)
    path = [(w.data, b.data)]
    for _ in range(60):
        loss = descent_loss(w, b)
        w.grad = b.grad = 0.0
        loss.backward()
        sgd_step([w, b], lr=0.5)
        path.append((w.data, b.data))
    ws = [-2.5 + 5.0 * i / 59 for i in range(60)]
    bs = [-2.5 + 5.0 * j / 59 for j in range(60)]
    surface = [[descent_loss(Value(wv), Value(bv)).data for wv in ws] for bv in bs]
    return plots.descent_svg(ws, bs, surface, path)


def moons(n, seed, noise=0.1):
    """Two interleaved half circles, labelled +1 and -1 (a tiny 'moons' dataset)."""
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        t = math.pi * (i // 2 + rng.random()) / (n // 2)
        x, y, label = (math.cos(t), math.sin(t), 1.0) if i % 2 == 0 else (1 - math.cos(t), 0.5 - math.sin(t), -1.0)
        points.append([1.5 * (x - 0.5) + rng.gauss(0, noise), 1.5 * (y - 0.25) + rng.gauss(0, noise)])
        labels.append(label)
    return points, labels


def boundary_figure():
    points, labels = moons(40, seed=2)
    random.seed(2)
    model = MLP(2, [8, 1])
    losses = train(model, points, labels, steps=60, lr=0.5)
    correct = sum((model(p).data > 0) == (y > 0) for p, y in zip(points, labels))
    gx, gy = (_span([p[k] for p in points], 41) for k in (0, 1))
    grid = [[model([x, y]).data for x in gx] for y in gy]
    caption = (f"MLP(2, [8, 1]), 60 steps: loss {losses[0]:.2f} → {losses[-1]:.2f}, "
               f"{correct}/{len(labels)} points on the right side")
    return plots.boundary_svg(gx, gy, grid, points, labels, caption)


def _span(values, n, margin=0.4):
    """n evenly spaced numbers covering ``values`` with a margin."""
    lo, hi = min(values) - margin, max(values) + margin
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def graph_figure(root, title, backward=True):
    if backward:
        root.backward()
    return graph_svg.graph_svg(root, title)


FIGURES = {
    "lecture-graph-forward.svg": lambda: graph_figure(
        lecture_expression(), "The lecture's expression after the forward pass", backward=False),
    "lecture-graph.svg": lambda: graph_figure(
        lecture_expression(), "The lecture's expression after L.backward()"),
    "neuron-graph.svg": lambda: graph_figure(lecture_neuron(), "The lecture's neuron after o.backward()"),
    "tanh.svg": tanh_figure,
    "loss-curve.svg": loss_curve_figure,
    "descent.svg": descent_figure,
    "decision-boundary.svg": boundary_figure,
}


def _sources_digest():
    """What the pictures depend on: the reference and these drawing modules."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("reference/*.py"), *pathlib.Path(__file__).parent.glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def render_all():
    """Every picture as {file name: SVG text}, reusing the last result while nothing changed."""
    key = _sources_digest()
    if key not in _cache:
        start = time.perf_counter()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # the reference makes no reference cycles: let reference counting free its graphs
        try:
            _cache.clear()
            _cache[key] = {name: draw() for name, draw in FIGURES.items()}
        finally:
            if gc_was_enabled:
                gc.enable()
        log.info("figures: drew %d pictures from reference/ in %.1f s", len(FIGURES), time.perf_counter() - start)
    return _cache[key]


def on_files(files, config):
    for name, svg in render_all().items():
        files.append(File.generated(config, f"generated/{name}", content=svg))
    return files
