"""Stage 2: local backward rules, checked without the graded ``backward()`` (stage 3).

Each primitive op's rule is called alone: the grader sets ``out.grad`` and
calls ``out._backward()``. The inputs' grads start nonzero, so ``=`` where
``+=`` belongs shows, and ``out.grad`` is not 1, so a rule that forgets it
shows. Larger graphs are driven by the grader's own walk of the graded
``_prev``, calling each node's ``_backward`` in reverse topological order.

Rules are judged on the graded forward pass's own values (``1 - t**2`` with
the student's ``t``), so a wrong forward value costs stage 1 only; a graph
built wrong costs nothing here when every primitive's rule is right on its
own.
"""

import weakref

import pytest
from hypothesis import example, given

from grader import exprs
from grader.feedback import CheckFailed
from grader.sandbox import GradedCodeError, RaisedException

from .fatal import StopOnFatal
from .graphs import built_payload, entry_names, node_verdict, rules_payload
from .judge import all_close, close, exception_hint, expected, is_number, raised, require_number, show
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


def mistakes(spec, values, preset, out_grad):
    """``[(hint, the inputs' grads that mistake gives)]`` for a single-op spec whose entries hold ``values``."""
    op, args, k = spec["nodes"][0]
    n_in = len(spec["inputs"])
    x, t = values[args[0]], values[-1]
    right = exprs.local_derivatives(spec, values, 0)

    def adding(locals_, times=out_grad):
        grads = [preset] * n_in
        for a, d in zip(args, locals_):
            grads[a] += d * times
        return grads

    assigned = [preset] * n_in
    for a, d in zip(args, right):
        assigned[a] = d * out_grad  # self.grad = ...: the last contribution wins
    result = [("assign-not-accumulate", assigned), ("forgot-out-grad", adding(right, 1.0)),
              ("backward-not-set", [preset] * n_in)]
    if op == "mul":
        result.append(("mul-rule-swapped", adding([values[args[0]], values[args[1]]])))
    elif op == "tanh":
        result += [("tanh-one-minus-t", adding([1 - t])), ("tanh-uses-input", adding([1 - x ** 2])),
                   ("tanh-uses-input", adding([1 - x]))]
    elif op == "exp":
        result.append(("exp-self-data", adding([x])))
    return result


def rule_hint(spec, values, got):
    """The likely mistake behind the wrong grads ``got`` (the ``local_backward`` answer) of a single op."""
    op = spec["nodes"][0][0]
    n_in = len(spec["inputs"])
    for hint, grads in mistakes(spec, values, PRESET, OUT_GRAD):
        if all_close(got["grads"][:n_in], grads):
            if hint == "backward-not-set" and any(got["input_rule_replaced"]):
                return "backward-on-wrong-node"
            return hint
    return RULE_HINTS.get(op, "local-derivative")


def own_values(spec, inputs, built):
    """Every entry's value as the graded forward pass computed it, or None if some node holds no number."""
    nodes = built["nodes"]
    if not all(node["value"] and is_number(node["data"]) for node in nodes):
        return None
    return [float(x) for x in inputs] + [node["data"] for node in nodes]


def rule_grads(spec, values, preset, out_grad, walk):
    """Every entry's grad after right rules ran on a graph holding ``values``: the grader's own chain rule.

    Judging rules on the graded forward pass's own values charges a wrong
    forward value to stage 1 only: ``1 - t**2`` is right for whatever ``t`` is.
    """
    n_in, nodes = len(spec["inputs"]), spec["nodes"]
    grads = [preset] * n_in + [0.0] * len(nodes)
    grads[-1] = out_grad
    for j in reversed(range(len(nodes))) if walk else [len(nodes) - 1]:
        for a, d in zip(nodes[j][1], exprs.local_derivatives(spec, values, j)):
            grads[a] += d * grads[n_in + j]
    return grads


def run_rules(sandbox, ref, spec, inputs, **args):
    """The graded rules' grads, the grads right rules give on the graded graph, and that graph's own values.

    Rules are judged on the graph the graded forward pass built, with its own
    values. A graph built wrong (stage 1's to fix) costs nothing here if every
    primitive's rule is right on its own; otherwise it fails with stage 1's
    hint, since the rules cannot be judged on it.
    """
    args = dict(spec=spec, inputs=inputs, **args)
    walk = args.get("walk", True)
    case = exprs.describe(spec, inputs)
    want = expected(ref, "local_backward", **args)
    try:
        got = sandbox.call("local_backward", **args, **ENGINE)
    except RaisedException as error:
        if walk and builds_wrong(sandbox, spec, inputs) and rules_right(sandbox, ref):
            return None, None, None
        raise raised(error, "building it and calling _backward()",
                     exception_hint(error, [op for op, _, _ in spec["nodes"]]), case) from None
    values = own_values(spec, inputs, got["built"])
    verdict = node_verdict(spec, inputs, got["built"], want["built"])
    if values is not None and got["grads"] is not None:
        right = rule_grads(spec, values, args.get("preset", 0.0), args.get("out_grad", 1.0), walk)
        n = len(right)
        if all_close(got["grads"][:n], right) or all_close(got["grads"][:n], want["grads"][:n]):
            return got, got["grads"][:n], values
        if verdict and walk and rules_right(sandbox, ref):
            return got, got["grads"][:n], values  # a composite built wrong: its inner values are not entries
        if not node_verdict(spec, inputs, got["built"], want["built"], values=False):
            return got, right, values
    elif verdict and walk and rules_right(sandbox, ref):
        return None, None, None
    if verdict:
        message, want_text, got_text, hint = verdict
        raise CheckFailed(f"{message} (the forward pass, stage 1: the rules cannot be judged on this graph)",
                          expected=want_text, got=got_text, hint=hint, case=case,
                          graph=rules_payload(spec, inputs, got, want))
    return got, want["grads"], exprs.evaluate(spec, inputs)


def own_graph(spec, inputs, got, right):
    """The failing graph as judged: the graded forward pass's own data, its grads beside the right ones."""
    return built_payload(spec, inputs, got["built"], got["built"], grads=got["grads"], want_grads=right)


def builds_wrong(sandbox, spec, inputs):
    """Whether building the spec alone (stage 1's forward pass) already raises."""
    try:
        sandbox.call("forward", spec=spec, inputs=inputs, **ENGINE)
    except RaisedException:
        return True
    return False


def rules_right(sandbox, ref):
    """Whether every primitive op's rule passes its fixed cases, called on its own."""
    return _first_rule_hint(sandbox, ref) is None


def on_own_values(spec, inputs, values):
    """A note for the case when the graded forward pass computed other values than the reference."""
    if all_close(values, exprs.evaluate(spec, inputs)):
        return ""
    n_in, names = len(spec["inputs"]), entry_names(spec)
    return " (judged on your forward pass's own values: " + ", ".join(
        f"{names[i]} = {show(values[i])}" for i in range(n_in, len(values))) + ")"


def check_rule(sandbox, ref, spec, inputs):
    """One op's ``_backward``, called on its own by the grader, against the right rule on the graded values."""
    case = f"{exprs.describe(spec, inputs)}, with every input's grad at {PRESET} and out.grad = {OUT_GRAD}"
    got, right, values = run_rules(sandbox, ref, spec, inputs, preset=PRESET, out_grad=OUT_GRAD, walk=False)
    case += on_own_values(spec, inputs, values)
    for i, name in enumerate(spec["inputs"]):
        require_number(got["grads"][i], f"{name}.grad", "local-derivative", case)
        if not close(got["grads"][i], right[i]):
            raise CheckFailed(f"after out._backward(), {name}.grad = {show(got['grads'][i])}, "
                              f"expected {show(right[i])}", expected=right[i],
                              got=got["grads"][i], hint=rule_hint(spec, values, got), case=case,
                              graph=own_graph(spec, inputs, got, right))


def check_probes(sandbox, ref, op):
    """The fixed cases of one primitive op's rule."""
    for formula, names, inputs in PROBES[op]:
        check_rule(sandbox, ref, exprs.parse(formula, names), inputs)


_ENGINE_HINTS = weakref.WeakKeyDictionary()  # sandbox -> its engine's hint: shrinking asks again and again


def engine_rule_hint(sandbox, ref):
    """What explains a larger graph's wrong grads: the first primitive op built or ruled wrong in its fixed cases."""
    return _first_rule_hint(sandbox, ref) or "local-derivative"


def _first_rule_hint(sandbox, ref):
    """The hint of the first probe whose rule ``check_rule`` would fail, or None if every rule ran and is right.

    Asked once per worker (shrinking asks again and again); a probe the
    graded code cannot run tells nothing.
    """
    sandbox = getattr(sandbox, "unwrapped", sandbox)  # a probe's own error must not stop a property check
    if sandbox not in _ENGINE_HINTS:
        _ENGINE_HINTS[sandbox] = _probe_rules(sandbox, ref)
    return _ENGINE_HINTS[sandbox]


def _probe_rules(sandbox, ref):
    unjudged = None
    for op, cases in PROBES.items():
        for formula, names, inputs in cases:
            spec = exprs.parse(formula, names)
            try:
                got, right, values = run_rules(sandbox, ref, spec, inputs, preset=PRESET, out_grad=OUT_GRAD,
                                               walk=False)
            except CheckFailed as failure:
                return failure.hint
            except GradedCodeError:
                unjudged = "local-derivative"  # a rule that cannot run is not a rule known to be right
                continue
            if not all_close(got["grads"][:len(inputs)], right[:len(inputs)]):
                return rule_hint(spec, values, got)
    return unjudged


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
    got, right, values = run_rules(sandbox, ref, spec, inputs, preset=preset, out_grad=out_grad)
    if got is None:
        return  # the graph is built wrong and every rule right: stage 1 charges it
    case += on_own_values(spec, inputs, values)
    n_in, names = len(spec["inputs"]), entry_names(spec)
    for i in list(range(n_in)) + list(range(len(names) - 1, n_in - 1, -1)):  # inputs, then output down
        what = f"{names[i]}.grad" if i < n_in else f"the grad of {names[i]}"
        require_number(got["grads"][i], what, "local-derivative", case)
        if not close(got["grads"][i], right[i]):
            raise CheckFailed(f"{what} is {show(got['grads'][i])}, expected {show(right[i])}",
                              expected=right[i], got=got["grads"][i],
                              hint=engine_rule_hint(sandbox, ref), case=case,
                              graph=own_graph(spec, inputs, got, right))


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
