"""Property-based checks: hypothesis settings, and strategies for expressions and networks."""

import functools
import random

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from grader import exprs
from grader.sandbox import Crashed, ImportFailed, NotImplementedYet, TimedOut

# Inputs a student can retype; hypothesis shrinks towards the first ones.
NICE = (1.0, 2.0, -1.0, 0.5, -2.0, 1.5, -0.5, 3.0, 0.2, -1.5, 2.5, -3.0, 0.8, -0.3, 1.2, -2.5, 0.7, -0.8)
CONSTANTS = (2.0, -1.0, 0.5, 3.0, -2.5, 1.5)
EXPONENTS = (2, 3, -1, 0.5, 2.0, -2, 1.5)
NAMES = ("a", "b", "c")


def grading_settings(max_examples):
    """Same examples every run (no database, derandomized), no deadline, one reported failure."""
    return settings(
        max_examples=max_examples, derandomize=True, database=None, deadline=None,
        report_multiple_bugs=False, print_blob=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.filter_too_much, HealthCheck.data_too_large])


@functools.lru_cache(maxsize=None)
def _below(n):
    """``st.integers(0, n - 1)``, built once: building strategies is most of hypothesis's per-draw cost."""
    return st.integers(0, n - 1)


_NICE, _CONSTANTS, _EXPONENTS = map(st.sampled_from, (NICE, CONSTANTS, EXPONENTS))


@functools.lru_cache(maxsize=None)
def _ops(ops):
    return st.sampled_from(ops)


@st.composite
def expressions(draw, ops, max_inputs=3, max_nodes=5):
    """``(spec, inputs)``: a small DAG over ``ops`` whose values stay well inside every op's domain.

    A node's first argument is usually a recent node (depth), its second any
    earlier entry (sharing), so shrinking ends at formulas like ``tanh(a*b) + a``.
    """
    n_in = 1 + draw(_below(max_inputs))
    pick_op = _ops(tuple(ops))
    nodes = []
    for j in range(1 + draw(_below(max_nodes))):
        op = draw(pick_op)
        arity, takes_k = exprs.OPS[op]
        available = n_in + j
        args = [available - 1 - draw(_below(available))]
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
def networks(draw, max_inputs=3, max_layers=3, max_width=3):
    """``(nin, nouts, params, x)``: an MLP's shape, every neuron's ``w + [b]``, and one input."""
    nin = draw(st.integers(1, max_inputs))
    nouts = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers))
    rng = random.Random(draw(st.integers(0, 2 ** 16)))
    sizes = [nin] + nouts
    params = [[round(rng.uniform(-1, 1), 3) for _ in range(sizes[i] + 1)]
              for i in range(len(nouts)) for _ in range(nouts[i])]
    x = draw(st.lists(st.sampled_from(NICE), min_size=nin, max_size=nin))
    return nin, nouts, params, x


class FirstFatal:
    """Remembers the first time graded code hung, died or was missing during a property check.

    Later examples then fail at once with the same error, raised from the same
    line, so hypothesis neither waits through dozens of timeouts while
    shrinking nor mistakes the repeats for a different failure.
    """

    FATAL = (TimedOut, Crashed, NotImplementedYet, ImportFailed)

    def __init__(self):
        self.error = None

    def call(self, sandbox, scenario, **kwargs):
        if self.error is None:
            try:
                return sandbox.call(scenario, **kwargs)
            except self.FATAL as error:
                self.error = error
        raise self.error.with_traceback(None)

    def bind(self, sandbox):
        """``sandbox.call``, remembering fatal errors."""
        return lambda scenario, **kwargs: self.call(sandbox, scenario, **kwargs)
