"""Scenarios for the kit's own tests of the sandbox, never used by the checks."""

import random


def ping(impl):
    return "pong"


def selftest_engine(impl):
    """A little forward and backward pass through most of the engine's operations."""
    Value = impl.engine.Value
    a, b = Value(2.0), Value(-3.0)
    out = ((a * b + 1.5) ** 2 / 10).tanh() + (a - b) * 0.25 + a.exp().log() + b.relu() - (-a)
    out.backward()
    return {"out": float(out.data), "a": float(a.grad), "b": float(b.grad)}


def selftest_nn(impl, seed=1):
    """A seeded MLP's output and parameter count."""
    random.seed(seed)
    model = impl.nn.MLP(3, [4, 1])
    out = model([1.0, -2.0, 0.5])
    return {"out": float(out.data), "parameters": len(model.parameters())}


def selftest_train(impl):
    """The mean squared error of two predictions, and one gradient-descent step on them."""
    Value = impl.engine.Value
    ypred = [Value(1.0), Value(2.0)]
    loss = impl.train.mse_loss(ypred, [0.0, 1.5])
    loss.backward()
    impl.train.sgd_step(ypred, 0.1)
    return {"loss": float(loss.data), "after": [float(v.data) for v in ypred]}


def selftest_derivatives(impl):
    """The lecture's gradients, worked by hand."""
    return {key: float(value) for key, value in impl.derivatives.lecture_gradients().items()}
