"""The reference engine against the `micrograd` package, side by side in one run.

    nox -s bench            (or: python benchmarks/engine_vs_micrograd.py)

Measures, for both engines in the same process, alternating so that machine
noise hits both alike:
  * one full-batch training step of MLP(2, [16, 16, 1]) over 100 2-D points
    with micrograd's demo loss (max-margin + L2), written as a user writes
    the loop: microseconds per graph node, forward plus backward;
  * the deepest chain each can backpropagate;
  * memory per graph node.
Prints each number and the reference's advantage as a ratio. Nothing here
changes process-wide settings (the garbage collector stays as it is).
"""

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import micrograd.engine  # noqa: E402
import micrograd.nn  # noqa: E402

import reference.engine  # noqa: E402
import reference.nn  # noqa: E402

ENGINES = {
    "reference": (reference.engine.Value, reference.nn.MLP),
    "micrograd": (micrograd.engine.Value, micrograd.nn.MLP),
}


def moons(n, seed=1):
    """Two interleaving half circles with noise, labels -1 and 1 (like the demo's make_moons)."""
    import math
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y, label = math.cos(t), math.sin(t), -1
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1
        points.append([x + rng.gauss(0, 0.1), y + rng.gauss(0, 0.1)])
        labels.append(label)
    return points, labels


def count_nodes(root):
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            stack.extend(v._prev)
    return len(seen)


def training_step(Value, model, X, y):
    """micrograd's demo loop body: forward, max-margin loss + L2, zero_grad, backward, update."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    for p in model.parameters():
        p.data -= 0.01 * p.grad
    return total_loss


def time_per_node(name, X, y, repeats):
    Value, MLP = ENGINES[name]
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    nodes = count_nodes(training_step(Value, model, X, y))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        training_step(Value, model, X, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / nodes * 1e6, nodes


def chain_backprops(name, depth):
    Value = ENGINES[name][0]
    x = Value(0.5)
    y = x
    for _ in range(depth):
        y = y * 1.0
    try:
        y.backward()
    except RecursionError:
        return False
    return x.grad == 1.0


def deepest_chain(name, limit):
    depth, best = 250, 0
    while depth < limit and chain_backprops(name, depth):
        best, depth = depth, depth * 2
    if depth >= limit and chain_backprops(name, limit):  # doubling overshot: try the limit itself
        best = limit
    return best


def bytes_per_node(name, n=100_000):
    Value = ENGINES[name][0]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x = y = Value(0.5)
    for _ in range(n):
        y = y * 1.0  # two nodes per step: the constant and the product
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del x, y
    return used / (2 * n)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="training steps timed per engine (median)")
    parser.add_argument("--max-depth", type=int, default=1_000_000, help="deepest chain tried")
    args = parser.parse_args()

    X, y = moons(100)
    results = {name: [] for name in ENGINES}
    for _ in range(3):  # alternate, so noise falls on both
        for name in ENGINES:
            results[name].append(time_per_node(name, X, y, args.repeats))
    per_node = {name: min(r[0] for r in runs) for name, runs in results.items()}
    nodes = {name: runs[0][1] for name, runs in results.items()}
    depth = {name: deepest_chain(name, args.max_depth) for name in ENGINES}
    memory = {name: bytes_per_node(name) for name in ENGINES}

    print(f"Python {sys.version.split()[0]}, micrograd {getattr(micrograd, '__version__', '0.1.0')}")
    print(f"{'':34}{'reference':>14}{'micrograd':>14}{'ratio':>10}")
    print(f"{'training step, us per node':34}{per_node['reference']:14.2f}{per_node['micrograd']:14.2f}"
          f"{per_node['micrograd'] / per_node['reference']:9.1f}x")
    print(f"{'  (graph nodes in the step)':34}{nodes['reference']:14d}{nodes['micrograd']:14d}")
    print(f"{'deepest chain backpropagated':34}{depth['reference']:14d}{depth['micrograd']:14d}"
          f"{depth['reference'] / max(depth['micrograd'], 1):9.0f}x")
    print(f"{'memory, bytes per node':34}{memory['reference']:14.0f}{memory['micrograd']:14.0f}"
          f"{memory['micrograd'] / memory['reference']:9.1f}x")


if __name__ == "__main__":
    main()
