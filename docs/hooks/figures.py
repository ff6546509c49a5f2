"""MkDocs hook: the site's pictures, computed from ``reference/`` at build time.

Each picture is produced by running the reference engine (a graph and its
gradients, a real training run, a real descent), so a picture can never
disagree with the code. They are added to the build as in-memory files under
``generated/`` (pages link to ``../generated/NAME.svg``): nothing is written
into ``docs/`` and nothing is committed.

Each picture also gets a text alternative computed from the same numbers
(what the graph holds, where the curve goes, how far the loss fell): it is
the SVG's ``<title>``/``<desc>``, and it completes the ``alt`` text the page
gives the picture, so a reader who cannot see it is told what it shows.
"""

import gc
import hashlib
import html
import logging
import math
import pathlib
import random
import re
import sys
import time
from typing import NamedTuple

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

import graph_svg
import plots

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # for `reference`, when mkdocs runs from elsewhere

from reference.engine import Value  # noqa: E402
from reference.nn import MLP  # noqa: E402
from reference.train import mse_loss, sgd_step, train  # noqa: E402

log = logging.getLogger("mkdocs.hooks.figures")
_cache = {}  # sources digest -> {name: Picture}; survives `mkdocs serve` rebuilds


class Picture(NamedTuple):
    svg: str
    title: str
    description: str  # what the picture shows, in words, from the numbers it was drawn from


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
    peak = max(range(len(xs)), key=grads.__getitem__)
    return Picture(plots.tanh_svg(xs, ts, grads), "tanh and its derivative", (
        f"Two curves for x from {xs[0]:g} to {xs[-1]:g}. tanh(x), solid blue, is an S rising from "
        f"{ts[0]:.2f} to {ts[-1]:.2f} and crossing 0 at x = 0. Its derivative 1 - tanh(x)², dashed orange, "
        f"as backward() leaves it in x.grad, is a bump: {grads[peak]:.2f} at x = {xs[peak]:g}, "
        f"falling to {grads[0]:.3f} at both ends, where tanh is flat."))


LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def loss_curve_figure():
    random.seed(1337)
    model = MLP(3, [4, 4, 1])
    losses = train(model, LECTURE_XS, LECTURE_YS, steps=60, lr=0.1)
    caption = "MLP(3, [4, 4, 1]) on the lecture's four examples, lr = 0.1 (random.seed(1337))"
    return Picture(plots.loss_curve_svg(losses, caption), "Training loss per step", (
        f"A line chart of the training loss of {caption}, one point per step for {len(losses)} steps, "
        f"on a logarithmic scale: it falls from {losses[0]:.3g} at step 0 to {losses[-1]:.3g} "
        f"at step {len(losses) - 1}."))


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
    low = min((height, w_, b_) for row, b_ in zip(surface, bs) for height, w_ in zip(row, ws))
    (w0, b0), (w1, b1) = path[0], path[-1]
    return Picture(plots.descent_svg(ws, bs, surface, path), "Gradient descent down a loss surface", (
        f"A contour map of the loss of one tanh neuron over its weight w (across, {ws[0]:g} to {ws[-1]:g}) "
        f"and bias b (up, {bs[0]:g} to {bs[-1]:g}), coloured like terrain from low to high; the lowest "
        f"point drawn is near w = {low[1]:.1f}, b = {low[2]:.1f}. Gradient descent's path, red dots, starts at "
        f"w = {w0:g}, b = {b0:g} (loss {descent_loss(Value(w0), Value(b0)).data:.3f}) and after "
        f"{len(path) - 1} steps ends at w = {w1:.2f}, b = {b1:.2f} "
        f"(loss {descent_loss(Value(w1), Value(b1)).data:.4f}), down in the valley."))


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
    return Picture(plots.boundary_svg(gx, gy, grid, points, labels, caption), "A trained network's decision boundary", (
        f"{len(labels)} points in two interleaved half circles, class +1 as blue circles and class -1 as "
        f"red squares, over the plane coloured by the trained network's output: blue where it is "
        f"positive, red where it is negative. A black line, where the output is 0, is the decision "
        f"boundary; it curves between the half circles, with {correct} of {len(labels)} points on their "
        f"class's side. The network, MLP(2, [8, 1]), was trained for 60 steps: loss {losses[0]:.2f} "
        f"to {losses[-1]:.2f}."))


def _span(values, n, margin=0.4):
    """n evenly spaced numbers covering ``values`` with a margin."""
    lo, hi = min(values) - margin, max(values) + margin
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def graph_figure(root, title, backward=True):
    if backward:
        root.backward()
    return Picture(graph_svg.graph_svg(root, title), title, describe_graph(root, backward))


def describe_graph(root, backward):
    """The graph in words: each operation, its inputs and its result, with data (and grad);
    a value's numbers are given where it first appears, its label after that."""
    told = set()

    def value(node):
        if id(node) in told:
            return node.label
        told.add(id(node))
        shown = f"{node.label} = {node.data:.4g}"
        return f"{shown} (grad {node.grad:.4g})" if backward else shown

    steps = []
    for node in _children_first(root):
        if node._prev:
            inputs = " and ".join(value(child) for child in node._prev)
            verb = "go" if len(node._prev) > 1 else "goes"
            steps.append(f"{inputs} {verb} into {node._op}, giving {value(node)}")
    boxes = "data and grad" if backward else "data (every grad still 0)"
    return (f"A graph drawn left to right: each value is a box with its label and {boxes}, each "
            f"operation an oval, arrows in the direction of the forward pass. " + "; ".join(steps) + ".")


def _children_first(root):
    """Every node under ``root`` once, each after the nodes it was computed from."""
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for child in node._prev:
                visit(child)
            order.append(node)

    visit(root)  # the site's graphs are a dozen nodes deep at most
    return order


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
    """Every picture as {file name: Picture}, reusing the last result while nothing changed."""
    key = _sources_digest()
    if key not in _cache:
        start = time.perf_counter()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # the reference makes no reference cycles: let reference counting free its graphs
        try:
            _cache.clear()
            _cache[key] = {name: with_text(draw()) for name, draw in FIGURES.items()}
        finally:
            if gc_was_enabled:
                gc.enable()
        log.info("figures: drew %d pictures from reference/ in %.1f s", len(FIGURES), time.perf_counter() - start)
    return _cache[key]


def with_text(picture):
    """The picture with its title and description inside the SVG too (``<title>``, ``<desc>``,
    role="img"), for a reader who opens the picture on its own."""
    svg, title, description = picture
    head_end = svg.index(">", svg.index("<svg")) + 1
    head = svg[:head_end] if 'role="img"' in svg[:head_end] else svg[:head_end - 1] + ' role="img">'
    body = svg[head_end:]
    if "<title>" not in body[:200]:
        body = f"\n<title>{html.escape(title)}</title>" + body
    title_end = body.index("</title>") + len("</title>")
    body = body[:title_end] + f"\n<desc>{html.escape(description)}</desc>" + body[title_end:]
    return picture._replace(svg=head + body)


_IMG = re.compile(r'<img\b[^>]*\bsrc="(?:[^"]*/)?generated/(?P<name>[^"/]+\.svg)"[^>]*>')
_ALT = re.compile(r'\balt="(?P<alt>[^"]*)"')


def describe_pictures(page_html, where="page"):
    """Complete the alt text of every generated picture on a page with what it shows.

    The page's own alt text names the picture; the description adds its
    content. A generated picture without alt text stops the build.
    """
    pictures = render_all()

    def complete(match):
        tag, name = match.group(0), match["name"]
        alt = _ALT.search(tag)
        if name not in pictures:
            raise PluginError(f"{where}: there is no generated picture {name} (they are {', '.join(pictures)})")
        if alt is None or not alt["alt"].strip():
            raise PluginError(f"{where}: the picture generated/{name} needs alt text: ![what it is](...)")
        text = f"{alt['alt'].rstrip().rstrip('.')}. {html.escape(pictures[name].description)}"
        return tag[:alt.start("alt")] + text + tag[alt.end("alt"):]

    return _IMG.sub(complete, page_html)


def on_files(files, config):
    for name, picture in render_all().items():
        files.append(File.generated(config, f"generated/{name}", content=picture.svg))
    return files


def on_page_content(page_html, page, config, files):
    return describe_pictures(page_html, f"{pathlib.Path(config.docs_dir).name}/{page.file.src_uri}")
