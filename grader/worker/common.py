"""What every worker's scenarios share: plain data out of graded objects, and building a graph.

Scenarios run inside the worker process (standard library only) with
``impl``, the loaded submission, and return plain JSON data: numbers as
``float``, never the submission's own objects. The checks run the very same
function in their own process on the reference to get the expected answer.
"""


def num(x):
    """``x`` as a plain float, or a description of what it was instead of a number.

    Reads the float's own value, so a subclass overriding ``__float__`` cannot
    change what the grader sees.
    """
    if isinstance(x, float):
        return float.__float__(x)
    if isinstance(x, int):
        return float(int.__int__(x))
    return {"not_a_number": type(x).__name__, "repr": short_repr(x)}


def short_repr(x):
    try:
        text = repr(x)
    except Exception:
        text = f"<{type(x).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def node(v, entries, Value):
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
            children.append({"not_a_value": type(child).__name__, "repr": short_repr(child)})
    return {"value": True, "data": num(v.data), "prev": children, "reaches": reaches(v, entries, Value)}


def reaches(v, entries, Value, limit=10_000):
    """The entries ``v``'s graph reaches through nodes of its own (not through other entries), as positions.

    What a composite op (``a - b`` built as ``a + (-b)``) must reach: each
    of its operands, so that gradients can flow to them.
    """
    positions = {id(e): i for i, e in enumerate(entries)}
    found, seen, stack = set(), set(), list(v._prev)
    while stack and len(seen) < limit:
        child = stack.pop()
        if id(child) in positions:
            found.add(positions[id(child)])
        elif isinstance(child, Value) and id(child) not in seen:
            seen.add(id(child))
            stack.extend(list(child._prev))
    return sorted(found)


# How Python writes each op, so a spec builds with any type that has the operators
# and methods (the submission's Value, the reference's, a torch tensor).
APPLY = {
    "add": lambda x, y, k: x + y, "mul": lambda x, y, k: x * y,
    "sub": lambda x, y, k: x - y, "div": lambda x, y, k: x / y, "neg": lambda x, y, k: -x,
    "addk": lambda x, y, k: x + k, "mulk": lambda x, y, k: x * k,
    "subk": lambda x, y, k: x - k, "divk": lambda x, y, k: x / k,
    "radd": lambda x, y, k: k + x, "rmul": lambda x, y, k: k * x,
    "rsub": lambda x, y, k: k - x, "rdiv": lambda x, y, k: k / x,
    "pow": lambda x, y, k: x ** k,
    "tanh": lambda x, y, k: x.tanh(), "exp": lambda x, y, k: x.exp(),
    "log": lambda x, y, k: x.log(), "relu": lambda x, y, k: x.relu(),
}


def build(spec, leaves):
    """Apply the spec's ops to ``leaves`` (one per input); return the leaves followed by every node.

    A spec (``grader/exprs.py``) is ``{"inputs": names, "nodes": [[op, args, k], ...]}``.
    """
    entries = list(leaves)
    for op, args, k in spec["nodes"]:
        x, y = entries[args[0]], (entries[args[1]] if len(args) > 1 else None)
        entries.append(APPLY[op](x, y, k))
    return entries


def built(entries, leaves, Value):
    """A graph just built with the submission's ops, as data: every node, and the inputs afterwards."""
    return {"nodes": [node(v, entries, Value) for v in entries[len(leaves):]],
            "inputs_after": [num(v.data) for v in leaves]}


# ---- networks (stages 4 and 5) ----

def model_of(nn, kind, args):
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
