"""Code written against the `micrograd` package runs on the reference and agrees with it."""

import random

import pytest

micrograd_engine = pytest.importorskip("micrograd.engine", reason="micrograd is in the tests dependency group")
import micrograd.nn as micrograd_nn  # noqa: E402

import reference.engine  # noqa: E402
import reference.nn  # noqa: E402


def sanity_check(Value):
    """micrograd's own test_sanity_check expression."""
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x.grad, y.data


def more_ops(Value):
    """micrograd's own test_more_ops expression."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a.grad, b.grad, g.data


@pytest.mark.parametrize("expression", [sanity_check, more_ops])
def test_micrograd_expressions_agree(expression):
    ours = expression(reference.engine.Value)
    theirs = expression(micrograd_engine.Value)
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_constructor_and_attributes_match():
    for Value in (reference.engine.Value, micrograd_engine.Value):
        a = Value(2.0)
        b = Value(3.0, (a,), "custom")
        assert (b.data, b.grad, b._op) == (3.0, 0, "custom")
        assert list(b._prev) == [a]
        assert "data=3.0" in repr(b)


def test_micrograd_style_network_code_runs_unchanged():
    """The nn classes accept micrograd's signatures, and a demo-style loop trains."""
    for nn, Value in ((reference.nn, reference.engine.Value), (micrograd_nn, micrograd_engine.Value)):
        random.seed(3)
        model = nn.MLP(2, [8, 1])
        neuron = nn.Neuron(2, nonlin=False)
        layer = nn.Layer(2, 3, nonlin=False)
        assert len(layer.parameters()) == 9 and len(neuron.parameters()) == 3
        X = [[0.5, -1.0], [1.0, 1.0], [-1.0, 0.5], [0.0, -0.5]]
        y = [1, -1, 1, -1]
        losses = []
        for _ in range(20):
            scores = [model(list(map(Value, x))) for x in X]
            loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(X))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.05 * p.grad
            losses.append(loss.data)
        assert losses[-1] < losses[0], nn.__name__
