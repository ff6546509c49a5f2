"""Stage 2's scenario: the submission's local backward rules, driven in the grader's order.

The grader's topological walk lives here and nowhere else: stage 2 does not
ask for it, and the worker that grades ``backward()`` (stage 3) never loads
this module.
"""

try:  # the grading process: grader.worker.stage_2
    from .common import build, built, num
except ImportError:  # the worker: a top-level module beside common.py
    from common import build, built, num


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
    entries = build(spec, leaves)
    result = {"built": built(entries, leaves, Value), "grads": None,
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
