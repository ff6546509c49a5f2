"""Stage 2: local backward rules, checked without the graded ``backward()`` (stage 3).

Each primitive op's rule is called alone: the grader sets ``out.grad`` and
calls ``out._backward()``. The inputs' grads start nonzero, so ``=`` where
``+=`` belongs shows, and ``out.grad`` is not 1, so a rule that forgets it
shows. Larger graphs are driven by the grader's own walk of the graded
``_prev``, calling each node's ``_backward`` in reverse topological order.
"""

import weakref

import pytest
from hypothesis import example, given

from grader import exprs
from grader.feedback import CheckFailed
from grader.sandbox import GradedCodeError, RaisedException

from .fatal import StopOnFatal
from .graphs import entry_names, node_verdict, rules_payload
from .judge import all_close, close, exception_hint, expected, raised, require_number, show
from .properties import LECTURE_EXPRESSION, LECTURE_NEURON, PRIMITIVE_EXPRESSION, expressions, grading_settings

pytestmark = pytest.mark.stage("2")
ENGINE = dict(modules=("engine",))
PRESET, OUT_GRAD = 0.25, -1.5
RULE_HINTS = {"pow": "pow-rule", "log": "log-rule", "relu": "relu-rule"}  # else: local-derivative

# The fixed cases of each primitive op's check: (formula, input names, inputs).
PROBES = {
    "add": [("a + b", "ab", [2.0, -3.0]), ("a + a", "a", [3.0])],
    "mul": [("a*b", "ab", [2.0, -3.0]), ("a*a", "a", [-1.5])],
    "pow": [("a**3", "a", [1.5]), ("a**-1", "a", [2.0]), ("a**0.5", "a", [2.25])],
    "tanh": [("tanh(a)", "a", [0.8]), ("tanh(a)", "a", [-1.2])],
    "exp": [("exp(a)", "a", [0.5]), ("exp(a)", "a", [-1.0])],
    "log": [("log(a)", "a", [2.0]), ("log(a)", "a", [0.5])],
    "relu": [("relu(a)", "a", [1.5]), ("relu(a)", "a", [-2.0]), ("relu(a)", "a", [0.0])],
}


def mistakes(spec, inputs, preset, out_grad):
    """``[(hint, the inputs' grads that mistake gives)]`` for a single-op spec."""
    op, args, k = spec["nodes"][0]
    values = exprs.evaluate(spec, inputs)
    x, t = values[args[0]], values[-1]
    right = exprs.local_derivatives(spec, values, 0)

    def adding(locals_, times=out_grad):
        grads = [preset] * len(inputs)
        for a, d in zip(args, locals_):
            grads[a] += d * times
        return grads

    assigned = [preset] * len(inputs)
    for a, d in zip(args, right):
        assigned[a] = d * out_grad  # self.grad = ...: the last contribution wins
    result = [("assign-not-accumulate", assigned), ("forgot-out-grad", adding(right, 1.0)),
              ("backward-not-set", [preset] * len(inputs))]
    if op == "mul":
        result.append(("mul-rule-swapped", adding([values[args[0]], values[args[1]]])))
    elif op == "tanh":
        result += [("tanh-one-minus-t", adding([1 - t])), ("tanh-uses-input", adding([1 - x ** 2])),
                   ("tanh-uses-input", adding([1 - x]))]
    elif op == "exp":
        result.append(("exp-self-data", adding([x])))
    return result


def rule_hint(spec, inputs, got):
    """The likely mistake behind the wrong grads ``got`` (the ``local_backward`` answer) of a single op."""
    op = spec["nodes"][0][0]
    n_in = len(inputs)
    for hint, grads in mistakes(spec, inputs, PRESET, OUT_GRAD):
        if all_close(got["grads"][:n_in], grads):
            if hint == "backward-not-set" and any(got["input_rule_replaced"]):
                return "backward-on-wrong-node"
            return hint
    return RULE_HINTS.get(op, "local-derivative")


def run_rules(sandbox, ref, spec, inputs, **args):
    """The graded rules' grads next to the reference's; a graph built wrong fails here with stage 1's hint.

    A rule can only be judged on a correctly built graph: if the grads differ
    because the forward pass (or ``_prev``) is wrong, that is what to fix.
    """
    args = dict(spec=spec, inputs=inputs, **args)
    case = exprs.describe(spec, inputs)
    want = expected(ref, "local_backward", **args)
    try:
        got = sandbox.call("local_backward", **args, **ENGINE)
    except RaisedException as error:
        raise raised(error, "building it and calling _backward()",
                     exception_hint(error, [op for op, _, _ in spec["nodes"]]), case) from None
    if got["grads"] is None or got["grads"] != want["grads"]:
        verdict = node_verdict(spec, inputs, got["built"], want["built"])
        if verdict:
            message, want_text, got_text, hint = verdict
            raise CheckFailed(f"{message} (the forward pass, stage 1: the rules cannot be right on a wrong graph)",
                              expected=want_text, got=got_text, hint=hint, case=case,
                              graph=rules_payload(spec, inputs, got, want))
    return got, want


def check_rule(sandbox, ref, spec, inputs):
    """One op's ``_backward``, called on its own by the grader, against the reference's."""
    case = f"{exprs.describe(spec, inputs)}, with every input's grad at {PRESET} and out.grad = {OUT_GRAD}"
    got, want = run_rules(sandbox, ref, spec, inputs, preset=PRESET, out_grad=OUT_GRAD, walk=False)
    for i, name in enumerate(spec["inputs"]):
        require_number(got["grads"][i], f"{name}.grad", "local-derivative", case)
        if not close(got["grads"][i], want["grads"][i]):
            raise CheckFailed(f"after out._backward(), {name}.grad = {show(got['grads'][i])}, "
                              f"expected {show(want['grads'][i])}", expected=want["grads"][i],
                              got=got["grads"][i], hint=rule_hint(spec, inputs, got), case=case,
                              graph=rules_payload(spec, inputs, got, want))


def check_probes(sandbox, ref, op):
    """The fixed cases of one primitive op's rule."""
    for formula, names, inputs in PROBES[op]:
        check_rule(sandbox, ref, exprs.parse(formula, names), inputs)


_ENGINE_HINTS = weakref.WeakKeyDictionary()  # sandbox -> its engine's hint: shrinking asks again and again


def engine_rule_hint(sandbox, ref):
    """What explains a larger graph's wrong grads: the first primitive op built or ruled wrong in its fixed cases."""
    sandbox = getattr(sandbox, "unwrapped", sandbox)  # a probe's own error must not stop a property check
    if sandbox not in _ENGINE_HINTS:
        _ENGINE_HINTS[sandbox] = _first_rule_hint(sandbox, ref)
    return _ENGINE_HINTS[sandbox]


def _first_rule_hint(sandbox, ref):
    """Each probe's built graph, then its grads; a probe the graded code cannot run tells nothing."""
    for op, cases in PROBES.items():
        for formula, names, inputs in cases:
            spec = exprs.parse(formula, names)
            args = dict(spec=spec, inputs=inputs, preset=PRESET, out_grad=OUT_GRAD, walk=False)
            try:
                got = sandbox.call("local_backward", **args, **ENGINE)
            except GradedCodeError:
                continue
            want = expected(ref, "local_backward", **args)
            verdict = node_verdict(spec, inputs, got["built"], want["built"])
            if verdict:
                return verdict[-1]
            if not all_close(got["grads"], want["grads"]):
                return rule_hint(spec, inputs, got)
    return "local-derivative"


@pytest.mark.points(2)
def test_add_backward(sandbox, ref):
    """a + b passes out.grad to both operands, adding it (a + a gets it twice)."""
    check_probes(sandbox, ref, "add")


@pytest.mark.points(2)
def test_mul_backward(sandbox, ref):
    """a * b gives each operand the other's data times out.grad."""
    check_probes(sandbox, ref, "mul")


@pytest.mark.points(2)
def test_pow_backward(sandbox, ref):
    """a ** k: the power rule k * a**(k-1), times out.grad."""
    check_probes(sandbox, ref, "pow")


@pytest.mark.points(2)
def test_tanh_backward(sandbox, ref):
    """tanh: 1 - t**2 with t the output, times out.grad."""
    check_probes(sandbox, ref, "tanh")


@pytest.mark.points(2)
def test_exp_backward(sandbox, ref):
    """exp: the output's own data, times out.grad."""
    check_probes(sandbox, ref, "exp")


@pytest.mark.points(1)
def test_log_backward(sandbox, ref):
    """log: 1/x with x the input, times out.grad."""
    check_probes(sandbox, ref, "log")


@pytest.mark.points(2)
def test_relu_backward(sandbox, ref):
    """relu: out.grad flows through only where the output is positive."""
    check_probes(sandbox, ref, "relu")


def check_graph(sandbox, ref, spec, inputs, preset=0.0, out_grad=1.0):
    """Every node's grad after the grader's driver ran the graded rules over the whole graph."""
    case = exprs.describe(spec, inputs)
    if (preset, out_grad) != (0.0, 1.0):
        case += f", with every input's grad at {preset} and the output's grad at {out_grad}"
    got, want = run_rules(sandbox, ref, spec, inputs, preset=preset, out_grad=out_grad)
    n_in, names = len(spec["inputs"]), entry_names(spec)
    for i in list(range(n_in)) + list(range(len(names) - 1, n_in - 1, -1)):  # inputs, then output down
        what = f"{names[i]}.grad" if i < n_in else f"the grad of {names[i]}"
        require_number(got["grads"][i], what, "local-derivative", case)
        if not close(got["grads"][i], want["grads"][i]):
            raise CheckFailed(f"{what} is {show(got['grads'][i])}, expected {show(want['grads'][i])}",
                              expected=want["grads"][i], got=got["grads"][i],
                              hint=engine_rule_hint(sandbox, ref), case=case,
                              graph=rules_payload(spec, inputs, got, want))


@pytest.mark.points(2)
def test_composite_backward(sandbox, ref):
    """-a, a - b, a / b and their plain-number forms get the right grads through whatever ops build them."""
    for formula, names, inputs in [("-a", "a", [2.0]), ("a - b", "ab", [5.0, 3.0]), ("a/b", "ab", [3.0, -4.0]),
                                   ("a - 1.5", "a", [2.0]), ("a/2.0", "a", [3.0])]:
        check_graph(sandbox, ref, exprs.parse(formula, names), inputs, preset=PRESET, out_grad=OUT_GRAD)


@pytest.mark.points(2)
def test_lecture_backward(sandbox, ref):
    """The lecture's L = (a*b + c)*f and its tanh neuron: every node's grad (x1.grad = -1.5, w1.grad = 1.0)."""
    check_graph(sandbox, ref, *LECTURE_EXPRESSION)
    check_graph(sandbox, ref, *LECTURE_NEURON)


@pytest.mark.points(3)
@grading_settings(max_examples=15)
@given(example=expressions(exprs.PRIMITIVE_OPS))
@example(example=PRIMITIVE_EXPRESSION)
def test_backward_expressions(sandbox, ref, example):
    """Generated expressions of the primitive ops, shared subexpressions included: every node's grad."""
    check_graph(StopOnFatal(sandbox), ref, *example)
