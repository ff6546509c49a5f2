"""Scenarios: what the grader asks a worker to do with a submission.

Each function runs inside the worker process (standard library only) with
``impl``, the loaded submission, and returns plain JSON data: numbers as
``float``, never the submission's own objects. The checks run the very same
function in their own process on the reference to get the expected answer.
Each scenario does one whole example's work, so a check needs one round trip.
"""

import gc
import random
import time

try:  # the grading process: this module is grader.scenarios
    from . import exprs
except ImportError:  # the worker: loaded as a top-level module beside exprs.py
    import exprs


def ping(impl):
    return "pong"


# ---- plain data out of graded objects ----

def num(x):
    """``x`` as a plain float, or a description of what it was instead of a number.

    Reads the float's own value, so a subclass overriding ``__float__`` cannot
    change what the grader sees.
    """
    if isinstance(x, float):
        return float.__float__(x)
    if isinstance(x, int):
        return float(int.__int__(x))
    return {"not_a_number": type(x).__name__, "repr": _short_repr(x)}


def _short_repr(x):
    try:
        text = repr(x)
    except Exception:
        text = f"<{type(x).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _node(v, entries, Value):
    """A node as data: is it a Value, its data, and its children as entry positions."""
    if not isinstance(v, Value):
        return {"value": False, "type": type(v).__name__, "data": num(v)}
    children = []
    for child in list(v._prev):
        position = next((i for i, e in enumerate(entries) if e is child), None)
        if position is not None:
            children.append(position)
        elif isinstance(child, Value):
            children.append({"data": num(child.data)})
        else:
            children.append({"not_a_value": type(child).__name__, "repr": _short_repr(child)})
    return {"value": True, "data": num(v.data), "prev": children}


def topological_order(root, Value):
    """Every Value ``root`` depends on, each after its children: the grader's own sort."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        v, children_done = stack.pop()
        if children_done:
            order.append(v)
        elif id(v) not in visited:
            visited.add(id(v))
            stack.append((v, True))
            stack.extend((c, False) for c in list(v._prev) if isinstance(c, Value) and id(c) not in visited)
    return order


# ---- stage 0: derivatives by hand ----

FUNCTIONS = {
    "lecture": lambda x: 3 * x ** 2 - 4 * x + 5,  # the lecture's first function
    "cubic": lambda x: x ** 3 - 2 * x,
    "abc": lambda a, b, c: a * b + c,  # the lecture's d = a*b + c
    "mixed": lambda x, y, z: x * x * y - 3 * z + x * z ** 3,
}


def numerical_derivative(impl, f, args, wrt=None, h=None):
    """The submission's numerical derivative of FUNCTIONS[f] at ``args``."""
    kwargs = {}
    if wrt is not None:
        kwargs["wrt"] = wrt
    if h is not None:
        kwargs["h"] = h
    return num(impl.derivatives.numerical_derivative(FUNCTIONS[f], *args, **kwargs))


def hand_gradients(impl, which):
    """What ``lecture_gradients()`` or ``neuron_gradients()`` returns, as a dict of numbers."""
    result = getattr(impl.derivatives, which)()
    if not isinstance(result, dict):
        return {"not_a_dict": type(result).__name__, "repr": _short_repr(result)}
    return {str(key): num(value) for key, value in result.items()}


# ---- stage 1: the forward pass ----

def _built(entries, leaves, Value):
    """A graph just built with the submission's ops, as data: every node, and the inputs afterwards."""
    return {"nodes": [_node(v, entries, Value) for v in entries[len(leaves):]],
            "inputs_after": [num(v.data) for v in leaves]}


def forward(impl, spec, inputs):
    """Build the spec with the submission's ops: every node as data, and the inputs afterwards."""
    Value = impl.engine.Value
    leaves = [Value(x) for x in inputs]
    return _built(exprs.build(spec, leaves), leaves, Value)


# ---- stage 2: local backward rules, driven by the grader ----

def local_backward(impl, spec, inputs, preset=0.0, out_grad=1.0, walk=True):
    """Build the spec with the submission's ops and run their ``_backward`` in the grader's order.

    The inputs' grads start at ``preset`` (nonzero catches ``=`` instead of
    ``+=``) and the output's at ``out_grad``; the submission's ``backward()`` is
    never called. Without ``walk``, only the output's own ``_backward`` runs:
    one op's rule, on its own. Returns the graph as built (as ``forward``
    does), every entry's grad (none if the output is not a Value), and
    whether an op replaced an input's own ``_backward``.
    """
    Value = impl.engine.Value
    leaves = [Value(x) for x in inputs]
    own_rules = [leaf._backward for leaf in leaves]
    entries = exprs.build(spec, leaves)
    result = {"built": _built(entries, leaves, Value), "grads": None,
              "input_rule_replaced": [leaf._backward != rule for leaf, rule in zip(leaves, own_rules)]}
    out = entries[-1]
    if not isinstance(out, Value):
        return result
    for leaf in leaves:
        leaf.grad = preset
    out.grad = out_grad
    for v in reversed(topological_order(out, Value)) if walk else [out]:
        v._backward()
    result["grads"] = [num(v.grad) if isinstance(v, Value) else None for v in entries]
    return result


# ---- stage 3: backward() on graphs whose rules are the grader's ----

def _node_class(impl):
    """A subclass of the submission's Value whose instances take a ``_backward`` of the grader's.

    Built with the given constructor only, so stage 3 does not rest on the
    submission's ops; a subclass has a ``__dict__`` even if Value uses slots.
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


def _graph(Node, spec, inputs, log, preset=0.0):
    """The spec as Nodes carrying the grader's correct closures; each closure logs its calls."""
    values = exprs.evaluate(spec, inputs)
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
        node._backward = _rule(node, children, exprs.local_derivatives(spec, values, j), log, n_in + j)
        entries.append(node)
    return entries


def backprop(impl, spec, inputs, preset=0.0):
    """Call the submission's ``backward()`` on the spec's graph; every grad and the call log.

    The log lists, in call order, each closure's entry index and the grad its
    node had when it ran (complete, if the order was reverse topological).
    """
    log = []
    entries = _graph(_node_class(impl), spec, inputs, log, preset)
    entries[-1].backward()
    return {"grads": [num(v.grad) for v in entries], "log": [[i, num(g)] for i, g in log]}


def shared_leaves(impl, preset):
    """Two graphs built separately on shared leaves, each backpropagated: the leaves' grads.

    ``g1 = x*y`` and ``g2 = x + z``: a single op each, so any order works,
    and x must end with both contributions on top of ``preset``.
    """
    Node, log = _node_class(impl), []
    first = _graph(Node, exprs.parse("x*y", "xy"), [3.0, -2.0], log, preset)
    x, y, g1 = first
    z = Node(4.0)
    z.grad = preset
    g2 = Node(x.data + z.data, (x, z), "+")
    g2._backward = _rule(g2, (x, z), (1.0, 1.0), log, 3)
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
    """A balanced tree of sums over ``leaves`` plain leaves: about 2n nodes, log2(n) deep."""
    log = []
    level = [Node(1.0) for _ in range(leaves)]
    while len(level) > 1:
        paired = []
        for left, right in zip(level[::2], level[1::2]):
            node = Node(left.data + right.data, (left, right), "+")
            node._backward = _rule(node, (left, right), (1.0, 1.0), log, 0)
            paired.append(node)
        level = paired + level[len(paired) * 2:]
    return level[0]


def _grader_backward(root):
    """What a linear ``backward()`` does, in the grader's code: the yardstick for the graded one.

    Visited nodes are marked by an attribute rather than kept by ``id()``: the
    worker audits ``id()`` calls, which would slow the yardstick alone.
    """
    order, stack = [], [(root, False)]
    while stack:
        v, children_done = stack.pop()
        if children_done:
            order.append(v)
        elif not v.__dict__.get("_grader_seen"):
            v._grader_seen = True
            stack.append((v, True))
            stack.extend((c, False) for c in v._prev if not c.__dict__.get("_grader_seen"))
    root.grad = 1.0
    for v in reversed(order):
        v._backward()


def backward_timing(impl, sizes, repeats):
    """The best times of the graded ``backward()`` and of the grader's own on sum trees of each size.

    Measured in turns on fresh trees, so that a busy machine slows both alike.
    """
    Node = _node_class(impl)
    best = {"yours": [float("inf")] * len(sizes), "grader": [float("inf")] * len(sizes)}
    for _ in range(repeats):
        for i, size in enumerate(sizes):
            for who in best:
                if who == "yours" and best["yours"][i] > max(20 * best["grader"][i], 0.1):
                    continue  # clearly and lastingly slower already: measuring again only takes time
                root = _sum_tree(Node, size)
                walk = root.backward if who == "yours" else (lambda: _grader_backward(root))
                gc.disable()
                try:
                    start = time.perf_counter()
                    walk()
                    best[who][i] = min(best[who][i], time.perf_counter() - start)
                finally:
                    gc.enable()
    return best


# ---- stage 4: the submission's nn.py on the reference engine ----

def _model(nn, kind, args):
    return {"neuron": nn.Neuron, "layer": nn.Layer, "mlp": nn.MLP}[kind](*args)


def neurons_of(model, kind):
    """The model's neurons in parameter order, found through SPEC's attributes (w, b, neurons, layers)."""
    if kind == "neuron":
        return [model]
    if kind == "layer":
        return list(model.neurons)
    return [n for layer in model.layers for n in layer.neurons]


def set_parameters(neurons, params):
    for neuron, values in zip(neurons, params):
        for w, value in zip(neuron.w, values[:-1]):
            w.data = value
        neuron.b.data = values[-1]


def structure(impl, kind, args):
    """How many weights each neuron has (``-1`` for a missing ``b``)."""
    model = _model(impl.nn, kind, args)
    return [len(n.w) if hasattr(n, "b") else -1 for n in neurons_of(model, kind)]


def network(impl, kind, args, params, x):
    """The model's output at ``x`` with the given parameters, and every parameter's grad after backward.

    Parameters are set through ``w``/``b`` (not ``parameters()``, checked on
    its own); the outputs are summed before ``backward()``.
    """
    Value = impl.engine.Value
    model = _model(impl.nn, kind, args)
    neurons = neurons_of(model, kind)
    set_parameters(neurons, params)
    out = model(list(x))
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    result = {"single": not isinstance(out, (list, tuple)),
              "outputs": [num(o.data) if isinstance(o, Value) else num(o) for o in outs]}
    if outs and all(isinstance(o, Value) for o in outs):
        total = outs[0]
        for o in outs[1:]:
            total = total + o
        total.backward()
        result["grads"] = [[num(w.grad) for w in n.w] + [num(n.b.grad)] for n in neurons]
    return result


def parameter_order(impl, kind, args):
    """Where each of ``parameters()`` sits in the neurons' ``w + [b]`` order (-1: not a parameter)."""
    model = _model(impl.nn, kind, args)
    expected = [p for n in neurons_of(model, kind) for p in (*n.w, n.b)]
    got = model.parameters()
    return {"count": len(expected),
            "positions": [next((i for i, p in enumerate(expected) if p is q), -1) for q in got]}


def random_init(impl, kind, args, seed):
    """Every neuron's ``w + [b]`` data right after ``random.seed(seed)`` and construction."""
    state = random.getstate()
    try:
        random.seed(seed)
        model = _model(impl.nn, kind, args)
    finally:
        random.setstate(state)
    return [[num(w.data) for w in n.w] + [num(n.b.data)] for n in neurons_of(model, kind)]


def zero_grad(impl, kind, args):
    """``zero_grad()`` after every parameter got a distinct grad: each parameter's (data, grad)."""
    model = _model(impl.nn, kind, args)
    neurons = neurons_of(model, kind)
    for i, p in enumerate(p for n in neurons for p in (*n.w, n.b)):
        p.data, p.grad = 0.5 + i, -1.0 - i
    model.zero_grad()
    return [[[num(p.data), num(p.grad)] for p in (*n.w, n.b)] for n in neurons]


# ---- stage 5: the submission's train.py on the reference engine and network ----

def mse(impl, predictions, targets):
    """``mse_loss`` of Values holding ``predictions``: its data, and each prediction's grad after backward."""
    Value = impl.engine.Value
    ypred = [Value(p) for p in predictions]
    loss = impl.train.mse_loss(ypred, list(targets))
    if not isinstance(loss, Value):
        return {"value": False, "data": num(loss)}
    loss.backward()
    return {"value": True, "data": num(loss.data), "grads": [num(p.grad) for p in ypred]}


def sgd(impl, data, grads, lr):
    """``sgd_step`` on Values with the given data and grads: their data and grads afterwards."""
    Value = impl.engine.Value
    params = []
    for d, g in zip(data, grads):
        p = Value(d)
        p.grad = g
        params.append(p)
    impl.train.sgd_step(params, lr)
    return {"data": [num(p.data) for p in params], "grads": [num(p.grad) for p in params]}


def training(impl, nin, nouts, params, xs, ys, steps, lr):
    """``train`` on an MLP with the given parameters: the losses it returns and the final parameters."""
    model = impl.nn.MLP(nin, list(nouts))
    neurons = neurons_of(model, "mlp")
    set_parameters(neurons, params)
    losses = impl.train.train(model, [list(x) for x in xs], list(ys), steps, lr)
    if not isinstance(losses, (list, tuple)):
        return {"losses": num(losses), "params": None}
    return {"losses": [num(loss) for loss in losses],
            "params": [[num(w.data) for w in n.w] + [num(n.b.data)] for n in neurons]}


# ---- bonus: the whole engine, as a user runs it ----

def gradients(impl, spec, inputs):
    """The output's data and every input's grad after the submission's own ops and ``backward()``."""
    leaves = [impl.engine.Value(x) for x in inputs]
    out = exprs.build(spec, leaves)[-1]
    out.backward()
    return {"data": num(out.data), "grads": [num(v.grad) for v in leaves]}


# ---- sandbox self-test: scenarios for the kit's tests of the sandbox itself, never used by the checks ----

def selftest_engine(impl):
    """A little forward and backward pass through most of the engine's operations."""
    Value = impl.engine.Value
    a, b = Value(2.0), Value(-3.0)
    out = ((a * b + 1.5) ** 2 / 10).tanh() + (a - b) * 0.25 + a.exp().log() + b.relu() - (-a)
    out.backward()
    return {"out": float(out.data), "a": float(a.grad), "b": float(b.grad)}


def selftest_nn(impl, seed=1):
    """A seeded MLP's output and parameter count."""
    random.seed(seed)
    model = impl.nn.MLP(3, [4, 1])
    out = model([1.0, -2.0, 0.5])
    return {"out": float(out.data), "parameters": len(model.parameters())}


def selftest_train(impl):
    """The mean squared error of two predictions, and one gradient-descent step on them."""
    Value = impl.engine.Value
    ypred = [Value(1.0), Value(2.0)]
    loss = impl.train.mse_loss(ypred, [0.0, 1.5])
    loss.backward()
    impl.train.sgd_step(ypred, 0.1)
    return {"loss": float(loss.data), "after": [float(v.data) for v in ypred]}


def selftest_derivatives(impl):
    """The lecture's gradients, worked by hand."""
    return {key: float(value) for key, value in impl.derivatives.lecture_gradients().items()}
