"""Stage 1: the forward pass. Every op gives the right number, a new Value, and remembers its operands."""

import weakref

import pytest
from hypothesis import example, given

from grader import exprs
from grader.feedback import CheckFailed
from grader.sandbox import GradedCodeError, RaisedException

from .fatal import StopOnFatal
from .graphs import built_payload, node_verdict
from .judge import answer, exception_hint, expected, raised, show
from .properties import LECTURE_EXPRESSION, LECTURE_NEURON, RICH_EXPRESSION, expressions, grading_settings

pytestmark = pytest.mark.stage("1")
ENGINE = dict(modules=("engine",))


def check_forward(sandbox, ref, spec, inputs):
    """Build the spec with the graded engine and fail with a hint unless it matches the reference."""
    case = exprs.describe(spec, inputs)
    want = expected(ref, "forward", spec=spec, inputs=inputs)
    try:
        got = sandbox.call("forward", spec=spec, inputs=inputs, **ENGINE)
    except RaisedException as error:
        raise raised(error, exprs.render(spec, head=False),
                     exception_hint(error, [op for op, _, _ in spec["nodes"]]), case) from None
    verdict = node_verdict(spec, inputs, got, want)
    if verdict:
        message, want_text, got_text, hint = verdict
        if hint in ("forward-value", "operand-order"):
            hint = primitive_hint(sandbox, ref) or hint  # a composite is as right as what it is built on
        raise CheckFailed(message, expected=want_text, got=got_text, hint=hint, case=case,
                          graph=built_payload(spec, inputs, got, want))


_PRIMITIVE_HINTS = weakref.WeakKeyDictionary()  # sandbox -> the hint of its first wrong primitive op
PRIMITIVE_CASES = [("a + b", "ab", 2.0, -3.0), ("a*b", "ab", 2.0, -3.0), ("a**2", "a", 3.0), ("a**-1", "a", 4.0)]


def primitive_hint(sandbox, ref):
    """The hint of the first of +, * and ** to compute a wrong value, or None: composites are built on them."""
    sandbox = getattr(sandbox, "unwrapped", sandbox)
    if sandbox not in _PRIMITIVE_HINTS:
        _PRIMITIVE_HINTS[sandbox] = None
        for formula, names, *inputs in PRIMITIVE_CASES:
            spec = exprs.parse(formula, names)
            try:
                got = sandbox.call("forward", spec=spec, inputs=inputs, **ENGINE)
            except GradedCodeError:
                continue
            verdict = node_verdict(spec, inputs, got, expected(ref, "forward", spec=spec, inputs=inputs))
            if verdict:
                _PRIMITIVE_HINTS[sandbox] = verdict[-1]
                break
    return _PRIMITIVE_HINTS[sandbox]


def check_cases(sandbox, ref, cases):
    """Fixed cases, each ``(formula, input names, *inputs)``."""
    for formula, names, *inputs in cases:
        check_forward(sandbox, ref, exprs.parse(formula, names), inputs)


@pytest.mark.points(2)
def test_add(sandbox, ref):
    """a + b: its data, its operands in _prev, a plain number on the right."""
    check_cases(sandbox, ref, [("a + b", "ab", 2.0, -3.0), ("a + a", "a", 3.0), ("a + 1.5", "a", 2.0)])


@pytest.mark.points(2)
def test_mul(sandbox, ref):
    """a * b: its data, its operands in _prev, a plain number on the right."""
    check_cases(sandbox, ref, [("a*b", "ab", 2.0, -3.0), ("a*a", "a", -1.5), ("a*2.5", "a", 2.0)])


@pytest.mark.points(2)
def test_pow(sandbox, ref):
    """a ** k for int and float k, with only a in _prev; a Value exponent refused."""
    check_cases(sandbox, ref, [("a**2", "a", 3.0), ("a**3", "a", -2.0), ("a**-1", "a", 4.0),
                               ("a**0.5", "a", 2.25)])
    case = "a = Value(2.0); a ** Value(3.0)"
    got = answer(sandbox, "value_exponent", "a ** Value(3.0)", case, base=2.0, exponent=3.0, **ENGINE)
    if not got["refused"]:
        result = got["result"]
        made = f"a Value holding {show(result['data'])}" if result["value"] else f"a {result['type']}"
        raise CheckFailed(f"a ** Value(3.0) gave {made}: the exponent must be an int or a float, and a Value "
                          "exponent refused with an error", expected="an error (e.g. AssertionError)",
                          got=made, hint="value-exponent", case=case)


@pytest.mark.points(2)
def test_tanh(sandbox, ref):
    """tanh(), squashing into (-1, 1)."""
    check_cases(sandbox, ref, [("tanh(a)", "a", 0.8), ("tanh(a)", "a", -2.0), ("tanh(a)", "a", 0.0)])


@pytest.mark.points(1)
def test_exp(sandbox, ref):
    """exp()."""
    check_cases(sandbox, ref, [("exp(a)", "a", 0.5), ("exp(a)", "a", -1.0)])


@pytest.mark.points(1)
def test_log(sandbox, ref):
    """log(), the natural logarithm."""
    check_cases(sandbox, ref, [("log(a)", "a", 2.0), ("log(a)", "a", 0.5)])


@pytest.mark.points(2)
def test_relu(sandbox, ref):
    """relu(): max(0, x)."""
    check_cases(sandbox, ref, [("relu(a)", "a", 1.5), ("relu(a)", "a", -2.0), ("relu(a)", "a", 0.0)])


@pytest.mark.points(2)
def test_negation_subtraction_division(sandbox, ref):
    """-a, a - b, a / b, and each with a plain number on the right."""
    check_cases(sandbox, ref, [("-a", "a", 2.0), ("a - b", "ab", 5.0, 3.0), ("a/b", "ab", 3.0, -4.0),
                               ("a - 1.5", "a", 2.0), ("a/2.0", "a", 3.0)])


@pytest.mark.points(2)
def test_reflected_ops(sandbox, ref):
    """A plain number on the left: 1.5 + a, 2.0 * a, 1.0 - a, 2.0 / a."""
    check_cases(sandbox, ref, [("1.5 + a", "a", 4.0), ("2.0*a", "a", 4.0), ("1.0 - a", "a", 4.0),
                               ("2.0/a", "a", 4.0)])


@pytest.mark.points(1)
def test_lecture_forward(sandbox, ref):
    """The lecture's L = (a*b + c)*f and its tanh neuron give -8.0 and 0.7071."""
    check_forward(sandbox, ref, *LECTURE_EXPRESSION)
    check_forward(sandbox, ref, *LECTURE_NEURON)


@pytest.mark.points(3)
@grading_settings(max_examples=15)
@given(example=expressions(tuple(exprs.OPS)))
@example(example=RICH_EXPRESSION)
def test_forward_expressions(sandbox, ref, example):
    """Generated expressions with shared subexpressions compute what the reference computes."""
    check_forward(StopOnFatal(sandbox), ref, *example)
