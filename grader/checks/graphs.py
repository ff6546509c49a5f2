"""Judging a graph built with the graded ops against the reference's: values, new Values, operands kept."""

from grader import exprs

from .judge import close, show

CHECKS_PREV = ("add", "mul", "addk", "mulk", "pow", "tanh", "exp", "log", "relu")  # primitive ops (SPEC)
FORWARD_HINTS = {"tanh": "tanh-formula", "relu": "relu-forward", "log": "log-base", "pow": "pow-exponent"}


def entry_names(spec):
    """How messages name each entry, in the words of the case's formula: ``a``, ``tanh(e)``, ``e = a*b``."""
    return exprs.labels(spec)


def node_verdict(spec, inputs, got, want):
    """``None`` if the built graph matches the reference's, else ``(message, expected, got, hint)``."""
    if got["inputs_after"] != want["inputs_after"]:
        return ("an operation changed its operand's data: the inputs were "
                f"{show(want['inputs_after'])} and became {show(got['inputs_after'])}",
                show(want["inputs_after"]), show(got["inputs_after"]), "modifies-operand")
    for j, (node, ref_node) in enumerate(zip(got["nodes"], want["nodes"])):
        op, args, k = spec["nodes"][j]
        what = entry_names(spec)[len(spec["inputs"]) + j]
        if not node["value"]:
            return (f"{what} returned a {node['type']}, not a Value", "a Value", node["type"], "returns-number")
        if not close(node["data"], ref_node["data"]):
            hint = FORWARD_HINTS.get(op, "forward-value")
            x = exprs.evaluate(spec, inputs)[args[0]]
            if op in ("rsub", "rdiv") and close(node["data"], x - k if op == "rsub" else x / k):
                hint = "operand-order"
            return (f"{what} has data {show(node['data'])}, expected {show(ref_node['data'])}",
                    ref_node["data"], node["data"], hint)
        if op in CHECKS_PREV:
            positions = {c for c in node["prev"] if isinstance(c, int)}
            strays = [c for c in node["prev"] if isinstance(c, dict) and "not_a_value" in c]
            if strays or positions != set(args):
                names = [entry_names(spec)[a] for a in args]
                return (f"{what}: _prev should hold the Value operand{'s' if len(set(args)) > 1 else ''} "
                        f"{' and '.join(dict.fromkeys(names))} themselves",
                        ", ".join(dict.fromkeys(names)), _describe_prev(node["prev"], spec), "prev-children")
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
