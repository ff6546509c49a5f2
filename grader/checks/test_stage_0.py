"""Stage 0: derivatives by hand. A numerical derivative, and the chain rule on paper."""

import pytest

from grader.feedback import CheckFailed
from grader.sandbox import RaisedException
from grader.worker.stage_0 import FUNCTIONS

from .judge import close, expected, raised, require_number, show

pytestmark = pytest.mark.stage("0")
DERIVATIVES = dict(modules=("derivatives",))
FORMULAS = {"lecture": "f(x) = 3*x**2 - 4*x + 5", "cubic": "f(x) = x**3 - 2*x", "abc": "f(a, b, c) = a*b + c",
            "mixed": "f(x, y, z) = x*x*y - 3*z + x*z**3"}


def _differences(f, args, wrt, h):
    """What the central difference and its usual mistakes give for argument ``wrt``."""
    def at(i, step):
        moved = list(args)
        moved[i] += step
        return f(*moved)
    x = f(*args)
    results = [("forward-difference", (at(wrt, h) - x) / h), ("forward-difference", (x - at(wrt, -h)) / h),
               ("difference-scale", (at(wrt, h) - at(wrt, -h)) / h)]
    results += [("wrong-argument", (at(i, h) - at(i, -h)) / (2 * h)) for i in range(len(args)) if i != wrt]
    return results


def _check_derivatives(sandbox, ref, cases, fallback):
    for f, args, wrt, h in cases:
        call = f"numerical_derivative(f, {', '.join(map(str, args))}" + \
               (f", wrt={wrt}" if wrt is not None else "") + (f", h={h}" if h is not None else "") + ")"
        case = f"{FORMULAS[f]}; {call}"
        want = expected(ref, "numerical_derivative", f=f, args=args, wrt=wrt, h=h)
        try:
            got = sandbox.call("numerical_derivative", f=f, args=args, wrt=wrt, h=h, **DERIVATIVES)
        except RaisedException as error:
            raise raised(error, call, "raised-exception", case) from None
        require_number(got, f"{call}'s result", "central-difference", case)
        if close(got, want):
            continue
        mistakes = _differences(FUNCTIONS[f], args, wrt or 0, 1e-6 if h is None else h)
        hint = next((hint for hint, value in mistakes if close(got, value)), fallback)
        raise CheckFailed(f"{call} returned {show(got)}, expected {show(want)}", expected=want, got=got,
                          hint=hint, case=case)


@pytest.mark.points(3)
def test_numerical_derivative_central(sandbox, ref):
    """numerical_derivative is the central difference (f(x+h) - f(x-h)) / 2h."""
    _check_derivatives(sandbox, ref, [("cubic", [2.0], None, 0.1), ("lecture", [3.0], None, 0.01),
                                      ("cubic", [-1.5], None, None)], "central-difference")


@pytest.mark.points(2)
def test_numerical_derivative_wrt(sandbox, ref):
    """numerical_derivative nudges only argument number wrt."""
    _check_derivatives(sandbox, ref, [("abc", [2.0, -3.0, 10.0], 1, None), ("abc", [2.0, -3.0, 10.0], 2, None),
                                      ("mixed", [1.5, -2.0, 0.5], 2, 0.1), ("mixed", [1.5, -2.0, 0.5], 0, 0.1)],
                       "wrong-argument")


def _check_by_hand(sandbox, ref, which, order, case, diagnose):
    want = expected(ref, "hand_gradients", which=which)
    try:
        got = sandbox.call("hand_gradients", which=which, **DERIVATIVES)
    except RaisedException as error:
        raise raised(error, f"{which}()", "raised-exception", case) from None
    if "not_a_dict" in got:
        raise CheckFailed(f"{which}() should return a dict of gradients, not {got['repr']}",
                          expected=f"a dict with keys {', '.join(order)}", got=got["repr"],
                          hint="chain-rule-local", case=case)
    missing = [key for key in order if key not in got]
    if missing:
        raise CheckFailed(f"{which}() has no gradient for {', '.join(missing)}", expected=", ".join(order),
                          got=", ".join(got) or "no keys", hint="chain-rule-local", case=case)
    for key in order:  # the order the chain rule walks: a wrong node early explains the later ones
        require_number(got[key], f"{which}()[{key!r}]", "chain-rule-local", case)
        if not close(got[key], want[key]):
            raise CheckFailed(f"{which}()[{key!r}] is {show(got[key])}, expected {show(want[key])}",
                              expected=want[key], got=got[key], hint=diagnose(key, got[key], want), case=case)


@pytest.mark.points(3)
def test_lecture_gradients(sandbox, ref):
    """lecture_gradients gives dL/d(node) for L = (a*b + c)*f, worked by hand."""
    values = {"a": 2.0, "b": -3.0, "c": 10.0, "e": -6.0, "d": 4.0, "f": -2.0, "L": -8.0}

    def diagnose(key, got, want):
        if key in ("e", "c"):  # d = e + c
            return "plus-node-gradient"
        if key in ("d", "f", "a", "b"):  # L = d*f, e = a*b: the other factor, times the gradient above
            own = values[key] * (want["L"] if key in ("d", "f") else want["e"])
            if close(got, own):
                return "product-rule-swap"
        return "chain-rule-local"

    _check_by_hand(sandbox, ref, "lecture_gradients", ("L", "d", "f", "e", "c", "a", "b"),
                   "a=2.0, b=-3.0, c=10.0, e=a*b, d=e+c, f=-2.0, L=d*f", diagnose)


@pytest.mark.points(2)
def test_neuron_gradients(sandbox, ref):
    """neuron_gradients gives do/d(node) for o = tanh(x1*w1 + x2*w2 + b), worked by hand."""
    values = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0}

    def diagnose(key, got, want):
        if key == "n":
            return "tanh-derivative-by-hand"
        if key == "b":
            return "plus-node-gradient"
        if key in values and close(got, values[key] * want["n"]):
            return "product-rule-swap"
        return "chain-rule-local"

    _check_by_hand(sandbox, ref, "neuron_gradients", ("o", "n", "b", "x1", "w1", "x2", "w2"),
                   "x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432, n=x1*w1 + x2*w2 + b, o=tanh(n)",
                   diagnose)
