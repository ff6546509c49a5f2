"""Expression DAGs: small graphs of scalar operations, written as plain data.

A *spec* is JSON-able, so a check can send it to a worker and build it there
with the submission's ``Value``::

    {"inputs": ["a", "b"], "nodes": [["mul", [0, 1], None], ["tanh", [2], None], ["add", [3, 0], None]]}

Each node is ``[op, args, k]``: ``args`` index the list of inputs followed by
the nodes (so node ``j`` is entry ``len(inputs) + j``), ``k`` is the plain
number an op takes (``a + 2.0``, ``a ** 3``) or ``None``. The last node is the
output. Nodes may share arguments, which is what makes a DAG and not a tree.

Specs are built with a ``Value`` by ``grader.worker.common.build`` (inside the
worker, with the submission's ops); everything else here runs in the grading
process only: the forward and derivative rules below are the grader's own
answers, which no worker ever loads.
"""

import ast
import math


# op: (number of Value arguments, takes a constant k)
OPS = {
    "add": (2, False), "mul": (2, False), "sub": (2, False), "div": (2, False), "neg": (1, False),
    "addk": (1, True), "mulk": (1, True), "subk": (1, True), "divk": (1, True),
    "radd": (1, True), "rmul": (1, True), "rsub": (1, True), "rdiv": (1, True),
    "pow": (1, True), "tanh": (1, False), "exp": (1, False), "log": (1, False), "relu": (1, False),
}
PRIMITIVE_OPS = ("add", "mul", "pow", "tanh", "exp", "log", "relu")  # SPEC: the ops with rules of their own
FUNCTIONS = ("tanh", "exp", "log", "relu")

# Each op on plain floats: (forward, local derivatives given the inputs and the output).
RULES = {
    "add": (lambda x, y, k: x + y, lambda x, y, k, t: (1.0, 1.0)),
    "mul": (lambda x, y, k: x * y, lambda x, y, k, t: (y, x)),
    "sub": (lambda x, y, k: x - y, lambda x, y, k, t: (1.0, -1.0)),
    "div": (lambda x, y, k: x / y, lambda x, y, k, t: (1 / y, -x / y ** 2)),
    "neg": (lambda x, y, k: -x, lambda x, y, k, t: (-1.0,)),
    "addk": (lambda x, y, k: x + k, lambda x, y, k, t: (1.0,)),
    "mulk": (lambda x, y, k: x * k, lambda x, y, k, t: (k,)),
    "subk": (lambda x, y, k: x - k, lambda x, y, k, t: (1.0,)),
    "divk": (lambda x, y, k: x / k, lambda x, y, k, t: (1 / k,)),
    "radd": (lambda x, y, k: k + x, lambda x, y, k, t: (1.0,)),
    "rmul": (lambda x, y, k: k * x, lambda x, y, k, t: (k,)),
    "rsub": (lambda x, y, k: k - x, lambda x, y, k, t: (-1.0,)),
    "rdiv": (lambda x, y, k: k / x, lambda x, y, k, t: (-k / x ** 2,)),
    "pow": (lambda x, y, k: x ** k, lambda x, y, k, t: (k * x ** (k - 1),)),
    "tanh": (lambda x, y, k: math.tanh(x), lambda x, y, k, t: (1 - t ** 2,)),
    "exp": (lambda x, y, k: math.exp(x), lambda x, y, k, t: (t,)),
    "log": (lambda x, y, k: math.log(x), lambda x, y, k, t: (1 / x,)),
    "relu": (lambda x, y, k: 0.0 if x < 0 else x, lambda x, y, k, t: (1.0 if t > 0 else 0.0,)),
}


def _operands(entries, args):
    x = entries[args[0]]
    return x, (entries[args[1]] if len(args) > 1 else None)


def evaluate(spec, inputs):
    """The spec on plain floats: every entry's value (inputs first), by RULES."""
    values = [float(x) for x in inputs]
    for op, args, k in spec["nodes"]:
        x, y = _operands(values, args)
        values.append(RULES[op][0](x, y, k))
    return values


def local_derivatives(spec, values, j):
    """d(node j)/d(each of its args), from the values ``evaluate`` gave."""
    op, args, k = spec["nodes"][j]
    x, y = _operands(values, args)
    return RULES[op][1](x, y, k, values[len(spec["inputs"]) + j])


def backprop_data(spec, inputs):
    """What stage 3's graph carries, as plain numbers: every entry's value and each node's local derivatives.

    Worked out here, in the grading process, so that the worker grading
    ``backward()`` holds numbers, never the rules that made them.
    """
    values = evaluate(spec, inputs)
    return {"values": values, "derivatives": [list(local_derivatives(spec, values, j))
                                              for j in range(len(spec["nodes"]))]}


def well_conditioned(spec, inputs, limit=1e3):
    """Whether the spec is safe to compare at these inputs across correct implementations.

    Rejects domain errors, overflow, complex results, values or local
    derivatives beyond ``limit``, inputs near a ReLU's kink, where two correct
    engines rounding differently could disagree about the gradient, and tanh
    inputs far out in its flat tails.
    """
    try:
        values = evaluate(spec, inputs)
        for j, (op, args, k) in enumerate(spec["nodes"]):
            locals_ = local_derivatives(spec, values, j)
            if op == "relu" and abs(values[args[0]]) < 1e-6:
                return False
            if op == "tanh" and abs(values[args[0]]) > 20:  # the lecture's exp formula overflows past 354
                return False
            if not all(isinstance(v, float) and math.isfinite(v) and abs(v) <= limit
                       for v in (*locals_, values[len(inputs) + j])):
                return False
    except (ArithmeticError, ValueError, TypeError):  # ZeroDivisionError, OverflowError, complex
        return False
    return True


def prune(spec):
    """The same output with nodes and inputs it does not depend on removed, indices renumbered."""
    n_in, nodes = len(spec["inputs"]), spec["nodes"]
    needed, stack = set(), [n_in + len(nodes) - 1]
    while stack:
        i = stack.pop()
        if i not in needed:
            needed.add(i)
            if i >= n_in:
                stack.extend(nodes[i - n_in][1])
    keep = sorted(needed)
    index = {old: new for new, old in enumerate(keep)}
    inputs = [name for i, name in enumerate(spec["inputs"]) if i in needed]
    kept_nodes = [[op, [index[a] for a in args], k] for i, (op, args, k) in enumerate(nodes)
                  if n_in + i in needed]
    return {"inputs": inputs, "nodes": kept_nodes}


def kept_inputs(spec, values):
    """The values of the inputs ``prune`` keeps, given values for all of ``spec``'s inputs."""
    pruned = prune(spec)
    positions = {name: i for i, name in enumerate(spec["inputs"])}
    return [values[positions[name]] for name in pruned["inputs"]]


def parents(spec):
    """For every entry, the nodes that use it as an argument (as entry indices)."""
    n_in = len(spec["inputs"])
    result = [set() for _ in range(n_in + len(spec["nodes"]))]
    for j, (_, args, _) in enumerate(spec["nodes"]):
        for a in args:
            result[a].add(n_in + j)
    return result


# ---- writing a spec as a formula, and reading one ----

_PRECEDENCE = {"add": 1, "sub": 1, "addk": 1, "subk": 1, "radd": 1, "rsub": 1,
               "mul": 2, "div": 2, "mulk": 2, "divk": 2, "rmul": 2, "rdiv": 2,
               "neg": 3, "pow": 4}
_ATOM = 5
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def number(x):
    """A constant as a student would type it: 2.0 -> '2.0', 3 -> '3', 0.1 -> '0.1'."""
    return repr(x) if isinstance(x, int) else repr(float(x))


def _group(text, precedence, needed):
    return f"({text})" if precedence < needed else text


def _layout(spec):
    """Each entry's text, the names given to shared compound nodes, and their definitions."""
    n_in, nodes = len(spec["inputs"]), spec["nodes"]
    uses = [0] * (n_in + len(nodes))
    for _, args, _ in nodes:
        for a in args:
            uses[a] += 1
    names, definitions = {i: name for i, name in enumerate(spec["inputs"])}, []
    spare = (n for n in (*"efghpqruvwz", *(f"x{i}" for i in range(1, len(nodes) + 1)))
             if n not in spec["inputs"])
    shown = {i: (name, _ATOM) for i, name in names.items()}  # entry -> (text, precedence)

    def show(i):
        return (names[i], _ATOM) if i in names else shown[i]

    for j, (op, args, k) in enumerate(nodes):
        x = show(args[0])
        if op in _SYMBOL:
            y = show(args[1])
            p = _PRECEDENCE[op]
            right = p + 1  # a + (b + c) keeps its shape when retyped
            text = f"{_group(*x, p)} {_SYMBOL[op]} {_group(*y, right)}" if p == 1 else \
                f"{_group(*x, p)}*{_group(*y, right)}" if op == "mul" else f"{_group(*x, p)}/{_group(*y, right)}"
        elif op == "neg":
            text = f"-{_group(*x, 3)}"
        elif op in ("addk", "subk", "mulk", "divk"):
            symbol = {"addk": " + ", "subk": " - ", "mulk": "*", "divk": "/"}[op]
            text = f"{_group(*x, _PRECEDENCE[op])}{symbol}{number(k)}"
        elif op in ("radd", "rsub", "rmul", "rdiv"):
            symbol = {"radd": " + ", "rsub": " - ", "rmul": "*", "rdiv": "/"}[op]
            p = _PRECEDENCE[op]
            text = f"{number(k)}{symbol}{_group(*x, p + 1)}"  # the node on the right keeps its shape
        elif op == "pow":
            text = f"{_group(*x, _ATOM)}**{number(k)}"
        else:
            text = f"{op}({x[0]})"
        entry = n_in + j
        shown[entry] = (text, _ATOM if op in FUNCTIONS else _PRECEDENCE[op])
        if uses[entry] > 1 and entry != n_in + len(nodes) - 1:
            names[entry] = next(spare)
            definitions.append(f"{names[entry]} = {text}")
    return shown, names, definitions


def render(spec, head=True):
    """The output as a Python-like formula; a shared compound node is named once.

    ``f(a, b) = e + tanh(e)  where e = a*b`` (without ``f(a, b) = `` if not ``head``);
    the function is named ``g`` (or another free name) when ``f`` is an input or a part.
    """
    shown, names, definitions = _layout(spec)
    output = shown[len(spec["inputs"]) + len(spec["nodes"]) - 1][0]
    taken = set(names.values())  # the function's own name is none of its inputs' or parts'
    name = next(n for n in ("f", "g", "h", "F", "G", "H", *(f"f{i}" for i in range(1, len(taken) + 2)))
                if n not in taken)
    formula = f"{name}({', '.join(spec['inputs'])}) = {output}" if head else output
    return formula + (f"  where {'; '.join(definitions)}" if definitions else "")


def labels(spec):
    """What to call each entry next to ``render``'s formula: ``a``, ``tanh(e)``, ``e = a*b``."""
    shown, names, _ = _layout(spec)
    n_in = len(spec["inputs"])
    return [names[i] if i < n_in else f"{names[i]} = {shown[i][0]}" if i in names else shown[i][0]
            for i in range(len(shown))]


def describe(spec, inputs):
    """The formula and the inputs it is evaluated at: ``f(a) = tanh(a)  at a=0.5``."""
    at = ", ".join(f"{name}={number(x)}" for name, x in zip(spec["inputs"], inputs))
    return f"{render(spec)}  at {at}"


def parse(formula, inputs):
    """A spec from a formula in Python syntax over the named inputs: ``parse("(a*b + c)*f", "abcf")``.

    For the grader's fixed cases, so they read like the lecture.
    """
    inputs = list(inputs)
    nodes = []

    def add(op, args, k=None):
        nodes.append([op, args, k])
        return len(inputs) + len(nodes) - 1

    def constant(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and constant(node.operand) is not None:
            return -constant(node.operand)
        return None

    def walk(node):
        if isinstance(node, ast.Name):
            return inputs.index(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return add("neg", [walk(node.operand)])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            return add(node.func.id, [walk(node.args[0])])
        if isinstance(node, ast.BinOp):
            name = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}[type(node.op)]
            left, right = constant(node.left), constant(node.right)
            if name == "pow":
                return add("pow", [walk(node.left)], right)
            if right is not None:
                return add(name + "k", [walk(node.left)], right)
            if left is not None:
                return add("r" + name, [walk(node.right)], left)
            return add(name, [walk(node.left), walk(node.right)])
        raise ValueError(f"cannot read {ast.dump(node)} in {formula!r}")

    walk(ast.parse(formula, mode="eval").body)
    return {"inputs": inputs, "nodes": nodes}
