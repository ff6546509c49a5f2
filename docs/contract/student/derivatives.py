"""Derivatives before code (stage 0): a numerical derivative, and the chain rule by hand.

Grade it with ``nox -s grade -- --stage 0``. Docs: the page
"Stage 0: derivatives by hand".
"""


def numerical_derivative(f, *args, wrt=0, h=1e-6):
    """Estimate df/dx numerically, x being positional argument number ``wrt``.

    Use the *central* difference, more accurate than the one-sided one:
    ``(f(..., x + h, ...) - f(..., x - h, ...)) / (2 * h)``; the other
    arguments stay as they are.
    """
    # TODO (stage 0)
    raise NotImplementedError("stage 0: numerical_derivative -- docs page 'Stage 0: derivatives by hand'")


def lecture_gradients():
    """Work out by hand, with the chain rule, dL/d(node) for every node of:

        a = 2.0; b = -3.0; c = 10.0
        e = a * b; d = e + c; f = -2.0
        L = d * f

    Return a dict with keys ``"a" "b" "c" "d" "e" "f" "L"``. Start at L
    (dL/dL = 1) and walk back one node at a time. No Value, no numerical
    derivative: numbers you derived, or arithmetic on them.
    """
    # TODO (stage 0)
    raise NotImplementedError("stage 0: lecture_gradients -- docs page 'Stage 0: derivatives by hand'")


def neuron_gradients():
    """Work out by hand do/d(node) for the lecture's neuron:

        x1 = 2.0; x2 = 0.0; w1 = -3.0; w2 = 1.0; b = 6.8813735870195432
        n = x1*w1 + x2*w2 + b
        o = tanh(n)

    Return a dict with keys ``"x1" "x2" "w1" "w2" "b" "n" "o"``.
    Hint: d tanh(n)/dn = 1 - tanh(n)**2, and here tanh(n) is about 0.7071.
    """
    # TODO (stage 0)
    raise NotImplementedError("stage 0: neuron_gradients -- docs page 'Stage 0: derivatives by hand'")
