"""Stage 3's scenarios: the submission's ``backward()`` on graphs whose rules are the grader's.

Every node is built with the submission's constructor only (so stage 3 does
not rest on its ops) and carries a closure of the grader's that adds a
local derivative computed in the grading process and sent here as a plain
number. No topological sort and no derivative rule of the grader's is in
this module: nothing here could stand in for the ``backward()`` it grades.
"""

import gc
import time

try:  # the grading process: grader.worker.stage_3
    from .common import num
except ImportError:  # the worker: a top-level module beside common.py
    from common import num


def _node_class(impl):
    """A subclass of the submission's Value whose instances take a ``_backward`` of the grader's.

    A subclass has a ``__dict__`` even if Value uses slots.
    """
    class Node(impl.engine.Value):
        pass
    return Node


def _rule(node, children, derivatives, log, index):
    def _backward():
        log.append((index, node.grad))
        for child, d in zip(children, derivatives):
            child.grad += d * node.grad
    return _backward


def _graph(Node, spec, values, derivatives, log, preset=0.0):
    """The spec as Nodes holding ``values``; node j's closure adds ``derivatives[j]``, and logs its call."""
    n_in = len(spec["inputs"])
    entries = []
    for i, x in enumerate(values[:n_in]):
        leaf = Node(x)
        leaf.grad = preset
        leaf._backward = _rule(leaf, (), (), log, i)
        entries.append(leaf)
    for j, (op, args, k) in enumerate(spec["nodes"]):
        children = [entries[a] for a in args]
        node = Node(values[n_in + j], tuple(children), op)
        node._backward = _rule(node, children, derivatives[j], log, n_in + j)
        entries.append(node)
    return entries


def backprop(impl, spec, values, derivatives, preset=0.0):
    """Call the submission's ``backward()`` on the spec's graph; every grad and the call log.

    ``values`` are every entry's value and ``derivatives[j]`` node j's local
    derivatives (``grader.exprs.backprop_data``). The log lists, in call
    order, each closure's entry index and the grad its node had when it ran
    (complete, if the order was reverse topological).
    """
    log = []
    entries = _graph(_node_class(impl), spec, values, derivatives, log, preset)
    entries[-1].backward()
    return {"grads": [num(v.grad) for v in entries], "log": [[i, num(g)] for i, g in log]}


def shared_leaves(impl, preset):
    """Two graphs built separately on shared leaves, each backpropagated: the leaves' grads.

    ``g1 = x*y`` and ``g2 = x + z``: a single op each, so any order works,
    and x must end with both contributions on top of ``preset``.
    """
    Node, log = _node_class(impl), []
    x, y, z = Node(3.0), Node(-2.0), Node(4.0)
    for i, leaf in enumerate((x, y, z)):
        leaf.grad = preset
        leaf._backward = _rule(leaf, (), (), log, i)
    g1 = Node(x.data * y.data, (x, y), "*")
    g1._backward = _rule(g1, (x, y), (y.data, x.data), log, 3)
    g2 = Node(x.data + z.data, (x, z), "+")
    g2._backward = _rule(g2, (x, z), (1.0, 1.0), log, 4)
    g1.backward()
    g2.backward()
    return {"x": num(x.grad), "y": num(y.grad), "z": num(z.grad)}


def deep_chain(impl, n):
    """``backward()`` on a chain of ``n`` nodes: the leaf's grad and the order the closures ran in."""
    Node, log = _node_class(impl), []
    leaf = Node(0.0)
    node = leaf
    for i in range(1, n + 1):
        child, node = node, Node(float(i), (node,), "+")
        node._backward = _rule(node, (child,), (1.0,), log, i)
    node.backward()
    return {"leaf_grad": num(leaf.grad), "calls": [i for i, _ in log]}


def _sum_tree(Node, leaves):
    """A balanced tree of sums over ``leaves`` plain leaves (about 2n nodes, log2(n) deep), and its
    internal nodes in the order they were made, each after its children."""
    log, made = [], []
    level = [Node(1.0) for _ in range(leaves)]
    while len(level) > 1:
        paired = []
        for left, right in zip(level[::2], level[1::2]):
            node = Node(left.data + right.data, (left, right), "+")
            node._backward = _rule(node, (left, right), (1.0, 1.0), log, 0)
            paired.append(node)
        made += paired
        level = paired + level[len(paired) * 2:]
    return level[0], made


def _linear_walk(root, made):
    """The yardstick: every closure called once, latest made first, with no search at all."""
    root.grad = 1.0
    for v in reversed(made):
        v._backward()


def backward_timing(impl, sizes, repeats):
    """The best times of the graded ``backward()`` and of a plain linear walk on sum trees of each size.

    Measured in turns on fresh trees, so that a busy machine slows both alike.
    """
    Node = _node_class(impl)
    best = {"yours": [float("inf")] * len(sizes), "grader": [float("inf")] * len(sizes)}
    for _ in range(repeats):
        for i, size in enumerate(sizes):
            for who in best:
                if who == "yours" and best["yours"][i] > max(20 * best["grader"][i], 0.1):
                    continue  # clearly and lastingly slower already: measuring again only takes time
                root, made = _sum_tree(Node, size)
                if who == "yours":
                    made, walk = None, root.backward  # backward() finds its own way
                else:
                    walk = (lambda root=root, made=made: _linear_walk(root, made))
                gc.disable()
                try:
                    start = time.perf_counter()
                    walk()
                    best[who][i] = min(best[who][i], time.perf_counter() - start)
                finally:
                    gc.enable()
    return best
