"""Stage 4's scenarios: the submission's ``nn.py``, run on the reference engine."""

import random

try:  # the grading process: grader.worker.stage_4
    from .common import model_of, neurons_of, num, set_parameters
except ImportError:  # the worker: a top-level module beside common.py
    from common import model_of, neurons_of, num, set_parameters


def structure(impl, kind, args):
    """How many weights each neuron has (``-1`` for a missing ``b``)."""
    model = model_of(impl.nn, kind, args)
    return [len(n.w) if hasattr(n, "b") else -1 for n in neurons_of(model, kind)]


def network(impl, kind, args, params, x):
    """The model's output at ``x`` with the given parameters, and every parameter's grad after backward.

    Parameters are set through ``w``/``b`` (not ``parameters()``, checked on
    its own); the outputs are summed before ``backward()``.
    """
    Value = impl.engine.Value
    model = model_of(impl.nn, kind, args)
    neurons = neurons_of(model, kind)
    set_parameters(neurons, params)
    out = model(list(x))
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    result = {"single": not isinstance(out, (list, tuple)),
              "outputs": [num(o.data) if isinstance(o, Value) else num(o) for o in outs]}
    if outs and all(isinstance(o, Value) for o in outs):
        total = outs[0]
        for o in outs[1:]:
            total = total + o
        total.backward()
        result["grads"] = [[num(w.grad) for w in n.w] + [num(n.b.grad)] for n in neurons]
    return result


def parameter_order(impl, kind, args):
    """Where each of ``parameters()`` sits in the neurons' ``w + [b]`` order (-1: not a parameter).

    ``nested`` tells whether it holds lists (a list of each part's lists) instead of Values.
    """
    model = model_of(impl.nn, kind, args)
    expected = [p for n in neurons_of(model, kind) for p in (*n.w, n.b)]
    got = list(model.parameters())
    return {"count": len(expected), "nested": any(isinstance(q, (list, tuple)) for q in got),
            "positions": [next((i for i, p in enumerate(expected) if p is q), -1) for q in got]}


def random_init(impl, kind, args, seed):
    """Every neuron's ``w + [b]`` data right after ``random.seed(seed)`` and construction."""
    state = random.getstate()
    try:
        random.seed(seed)
        model = model_of(impl.nn, kind, args)
    finally:
        random.setstate(state)
    return [[num(w.data) for w in n.w] + [num(n.b.data)] for n in neurons_of(model, kind)]


def zero_grad(impl, kind, args):
    """``zero_grad()`` after every parameter got a distinct grad: each parameter's (data, grad)."""
    model = model_of(impl.nn, kind, args)
    neurons = neurons_of(model, kind)
    for i, p in enumerate(p for n in neurons for p in (*n.w, n.b)):
        p.data, p.grad = 0.5 + i, -1.0 - i
    model.zero_grad()
    return [[[num(p.data), num(p.grad)] for p in (*n.w, n.b)] for n in neurons]
