"""Property-based checks: hypothesis settings, and strategies for expressions and networks."""

import functools
import random

from hypothesis import HealthCheck, Phase, assume, settings
from hypothesis import strategies as st

from grader import exprs

# Inputs a student can retype; hypothesis shrinks towards the first ones.
NICE = (1.0, 2.0, -1.0, 0.5, -2.0, 1.5, -0.5, 3.0, 0.2, -1.5, 2.5, -3.0, 0.8, -0.3, 1.2, -2.5, 0.7, -0.8)
CONSTANTS = (2.0, -1.0, 0.5, 3.0, -2.5, 1.5)
EXPONENTS = (2, 3, -1, 0.5, 2.0, -2, 1.5)
NAMES = ("a", "b", "c")


def grading_settings(max_examples):
    """Same examples every run (no database, derandomized), no deadline, one reported failure.

    No "explain" phase: it reruns a failing example under a tracer, which
    costs more than the rest and tells students nothing.
    """
    return settings(
        max_examples=max_examples, derandomize=True, database=None, deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        report_multiple_bugs=False, print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])


@functools.lru_cache(maxsize=None)
def _below(n):
    """``st.integers(0, n - 1)``, built once: building strategies is most of hypothesis's per-draw cost."""
    return st.integers(0, n - 1)


_NICE, _CONSTANTS, _EXPONENTS = map(st.sampled_from, (NICE, CONSTANTS, EXPONENTS))
_TARGETS, _RATES = st.sampled_from((1.0, -1.0, 0.5)), st.sampled_from((0.05, 0.1, 0.01))


@functools.lru_cache(maxsize=None)
def _ops(ops):
    return st.sampled_from(ops)


@st.composite
def expressions(draw, ops, max_inputs=3, max_nodes=6):
    """``(spec, inputs)``: a small DAG over ``ops`` whose values stay well inside every op's domain.

    A node's first argument is the entry just before it (depth: nothing is
    left unused), its second any earlier entry (sharing), so shrinking ends
    at formulas like ``tanh(b*a) + a``.
    """
    n_in = 1 + draw(_below(max_inputs))
    pick_op = _ops(tuple(ops))
    nodes = []
    for j in range(1 + draw(_below(max_nodes))):
        op = draw(pick_op)
        arity, takes_k = exprs.OPS[op]
        available = n_in + j
        args = [available - 1]
        if arity == 2:
            args.append(draw(_below(available)))
        k = draw(_EXPONENTS if op == "pow" else _CONSTANTS) if takes_k else None
        nodes.append([op, args, k])
    values = [draw(_NICE) for _ in range(n_in)]
    spec = {"inputs": list(NAMES[:n_in]), "nodes": nodes}
    pruned, inputs = exprs.prune(spec), exprs.kept_inputs(spec, values)
    assume(exprs.well_conditioned(pruned, inputs))
    return pruned, inputs


@st.composite
def networks(draw, max_inputs=3, max_layers=3, max_width=3, outputs=None):
    """``(nin, nouts, params, x)``: an MLP's shape, every neuron's ``w + [b]``, and one input.

    ``outputs`` fixes the last layer's width.
    """
    nin = 1 + draw(_below(max_inputs))
    nouts = [1 + draw(_below(max_width)) for _ in range(1 + draw(_below(max_layers)))]
    if outputs is not None:
        nouts[-1] = outputs
    rng = random.Random(draw(_below(2 ** 16)))
    sizes = [nin] + nouts
    params = [[round(rng.uniform(-1, 1), 3) for _ in range(sizes[i] + 1)]
              for i in range(len(nouts)) for _ in range(nouts[i])]
    x = [draw(_NICE) for _ in range(nin)]
    return nin, nouts, params, x


@st.composite
def trainings(draw):
    """``(nin, nouts, params, xs, ys, steps, lr)``: a small one-output MLP, a dataset, a schedule."""
    nin, nouts, params, x = draw(networks(max_layers=2, outputs=1))
    xs = [x] + [[draw(_NICE) for _ in range(nin)] for _ in range(draw(_below(3)))]
    ys = [draw(_TARGETS) for _ in xs]
    return nin, nouts, params, xs, ys, 1 + draw(_below(4)), draw(_RATES)


# The lecture's two worked examples, as (spec, inputs): L = (a*b + c)*f, and the tanh neuron.
LECTURE_EXPRESSION = (exprs.parse("(a*b + c)*f", "abcf"), [2.0, -3.0, 10.0, -2.0])
LECTURE_NEURON = (exprs.parse("tanh(x1*w1 + x2*w2 + b)", ["x1", "x2", "w1", "w2", "b"]),
                  [2.0, 0.0, -3.0, 1.0, 6.8813735870195432])

# Explicit first examples: most mistakes show on them, and a failing explicit
# example is reported at once, without generating or shrinking anything.
RICH_EXPRESSION = (exprs.parse("2.0*tanh(a*b) - a/b + relu(b - 0.5)*log(a + 2.0) + 1.0/exp(a)**2"
                               " - (1.5 - a*3.0)/2.0 + (1.0 + -b)", "ab"), [0.5, 1.5])
# tanh(e) + e*exp(a) + relu(b)**2 + log(a) with e = a*b used twice: every primitive op, and sharing
PRIMITIVE_EXPRESSION = ({"inputs": ["a", "b"], "nodes": [
    ["mul", [0, 1], None], ["tanh", [2], None], ["exp", [0], None], ["mul", [2, 4], None], ["add", [3, 5], None],
    ["relu", [1], None], ["pow", [7], 2], ["add", [6, 8], None], ["log", [0], None], ["add", [9, 10], None]]},
    [0.5, 1.5])
NETWORK = (2, [2, 1], [[0.5, -0.3, 0.1], [0.2, 0.7, -0.4], [-0.6, 0.3, 0.8]], [1.0, -0.5])
TRAINING = (2, [2, 1], [[0.5, -0.3, 0.1], [0.2, 0.7, -0.4], [-0.6, 0.3, 0.8]], [[1.0, -0.5], [0.5, 2.0]],
            [1.0, -1.0], 3, 0.1)
