"""Judging a graph built with the graded ops against the reference's: values, new Values, operands kept."""

import math

from grader import exprs

from .judge import close, show

PRIMITIVE = ("add", "mul", "addk", "mulk", "pow", "tanh", "exp", "log", "relu")  # SPEC: _prev exactly the operands
WRAPS = ("addk", "mulk")  # may hold the plain number they wrapped as a Value
FORWARD_HINTS = {"tanh": "tanh-formula", "relu": "relu-forward", "log": "log-base", "pow": "pow-exponent"}


def entry_names(spec):
    """How messages name each entry, in the words of the case's formula: ``a``, ``tanh(e)``, ``e = a*b``."""
    return exprs.labels(spec)


def node_verdict(spec, inputs, got, want, values=True):
    """``None`` if the built graph matches the reference's, else ``(message, expected, got, hint)``.

    Without ``values``, only the graph's shape is judged (new Values, operands
    kept, each op's children): what later stages cannot do without.
    """
    if got["inputs_after"] != want["inputs_after"]:
        return ("an operation changed its operand's data: the inputs were "
                f"{show(want['inputs_after'])} and became {show(got['inputs_after'])}",
                show(want["inputs_after"]), show(got["inputs_after"]), "modifies-operand")
    for j, (node, ref_node) in enumerate(zip(got["nodes"], want["nodes"])):
        op, args, k = spec["nodes"][j]
        what = entry_names(spec)[len(spec["inputs"]) + j]
        if not node["value"]:
            return (f"{what} returned a {node['type']}, not a Value", "a Value", node["type"], "returns-number")
        if values and not close(node["data"], ref_node["data"]):
            hint = FORWARD_HINTS.get(op, "forward-value")
            x = exprs.evaluate(spec, inputs)[args[0]]
            if op in ("rsub", "rdiv") and close(node["data"], x - k if op == "rsub" else x / k):
                hint = "operand-order"
            return (f"{what} has data {show(node['data'])}, expected {show(ref_node['data'])}",
                    ref_node["data"], node["data"], hint)
        verdict = children_verdict(spec, j, node, what)
        if verdict:
            return verdict
    return None


def children_verdict(spec, j, node, what):
    """What is wrong with node ``j``'s children: a primitive's ``_prev`` is exactly its operands,
    a composite's graph reaches every operand (SPEC, stage 1)."""
    op, args, k = spec["nodes"][j]
    names = [entry_names(spec)[a] for a in dict.fromkeys(args)]
    operands = " and ".join(names)
    strays = [c for c in node["prev"] if isinstance(c, dict) and "not_a_value" in c]
    if strays or (op in PRIMITIVE and not set(args) <= {c for c in node["prev"] if isinstance(c, int)}):
        return (f"{what}: _prev should hold the Value operand{'s' if len(names) > 1 else ''} {operands} themselves",
                ", ".join(names), _describe_prev(node["prev"], spec), "prev-children")
    if op not in PRIMITIVE:
        if not set(args) <= set(node["reaches"]):
            missing = " and ".join(entry_names(spec)[a] for a in dict.fromkeys(args) if a not in node["reaches"])
            return (f"{what} has the right data, but its graph never reaches {missing}: no gradient can flow "
                    "back to it", f"a graph reaching {operands}", _describe_prev(node["prev"], spec),
                    "cut-off-from-graph")
        return None
    extras = [c for c in node["prev"] if isinstance(c, int) and c not in args]
    wrapped = [c for c in node["prev"] if isinstance(c, dict)]
    if op in WRAPS and len(wrapped) == 1 and close(wrapped[0]["data"], float(k)):
        wrapped = []  # the plain number it wrapped: an operand too
    if extras or wrapped:
        exponent = op == "pow" and any(close(c["data"], float(k)) for c in wrapped)
        return (f"{what}: _prev should hold only {operands}" + (f", never the exponent {exprs.number(k)}"
                                                               if exponent else ""),
                ", ".join(names), _describe_prev(node["prev"], spec), "extra-children")
    return None


def _describe_prev(prev, spec):
    parts = []
    for c in prev:
        if isinstance(c, int):
            parts.append(entry_names(spec)[c])
        elif "not_a_value" in c:
            parts.append(f"{c['repr']} (a {c['not_a_value']})")
        else:
            parts.append(f"a Value holding {show(c['data'])}")
    return "{" + ", ".join(sorted(parts)) + "}" if parts else "nothing"  # sorted: a set's order varies by run


# ---- the failing case as a graph, for the HTML report ----

def graph_payload(spec, inputs, *, data=None, want_data=None, grads=None, want_grads=None, prev_ok=None):
    """The failing case as the report's ``graph``: the spec, every entry's values, and where they part.

    Per entry (inputs first, then the nodes) the graded code's data and grad
    beside the reference's, ``None`` where a scenario did not tell. Data part
    in the forward direction, grads in the backward one, so the first entry
    that differs is the first place the mistake shows: data from the inputs
    up, then grads from the output down. ``prev_ok``: per node, whether its
    ``_prev`` held its operands (a node built wrong parts there too).
    """
    n = len(spec["inputs"]) + len(spec["nodes"])
    data, want_data = _padded(data, n), _padded(want_data, n)
    grads, want_grads = _padded(grads, n), _padded(want_grads, n)
    prev_ok = [True] * len(spec["inputs"]) + list(prev_ok or [True] * len(spec["nodes"]))

    def parts(got, want):
        return want is not None and not close(got, want)

    first = next((i for i in range(n) if parts(data[i], want_data[i]) or not prev_ok[i]), None)
    if first is None:  # grads flow from the output down to the nodes, then to the inputs
        backward = [*reversed(range(len(spec["inputs"]), n)), *range(len(spec["inputs"]))]
        first = next((i for i in backward if parts(grads[i], want_grads[i])), None)
    return {
        "formula": exprs.render(spec),
        "inputs": list(spec["inputs"]),
        "nodes": [{"op": op, "args": list(args), "k": k} for op, args, k in spec["nodes"]],
        "labels": entry_names(spec),
        "values": [{"data": _value(data[i]), "grad": _value(grads[i]), "expected_data": _value(want_data[i]),
                    "expected_grad": _value(want_grads[i])} for i in range(n)],
        "first_difference": first,
    }


def built_payload(spec, inputs, got, want, *, grads=None, want_grads=None):
    """``graph_payload`` for a graph the graded ops built (``forward``/``local_backward``'s ``built``)."""
    def entry_data(built):
        return list(built["inputs_after"]) + [node["data"] for node in built["nodes"]]

    prev_ok = []
    for (op, args, _), node in zip(spec["nodes"], got["nodes"]):
        if not node["value"]:
            prev_ok.append(False)
        elif op in PRIMITIVE:  # as node_verdict judges it: a wrapped plain number may be there too
            prev = node["prev"]
            prev_ok.append({c for c in prev if isinstance(c, int)} == set(args)
                           and not any(isinstance(c, dict) and "not_a_value" in c for c in prev))
        else:  # a composite: its graph must reach every operand
            prev_ok.append(set(args) <= set(node.get("reaches", args)))
    return graph_payload(spec, inputs, data=entry_data(got), want_data=entry_data(want), grads=grads,
                         want_grads=want_grads, prev_ok=prev_ok)


def _padded(values, n):
    return list(values)[:n] + [None] * (n - len(values)) if values is not None else [None] * n


def _value(x):
    """A finite number as is; anything else in words (JSON has no NaN); ``None`` when unknown."""
    if x is None or (type(x) is float and math.isfinite(x)):
        return x
    return show(x)


def rules_payload(spec, inputs, got, want):
    """``graph_payload`` for a ``local_backward`` answer: the graph as built, and every grad."""
    return built_payload(spec, inputs, got["built"], want["built"], grads=got["grads"], want_grads=want["grads"])


def backprop_payload(spec, inputs, got, want):
    """``graph_payload`` for a ``backprop`` answer: the grader built the graph, so the data are its own."""
    values = exprs.evaluate(spec, inputs)
    return graph_payload(spec, inputs, data=values, want_data=values, grads=got["grads"],
                         want_grads=want["grads"])
