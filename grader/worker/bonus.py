"""The bonus stage's scenario: the whole engine, as a user runs it (compared with PyTorch)."""

try:  # the grading process: grader.worker.bonus
    from .common import build, num
except ImportError:  # the worker: a top-level module beside common.py
    from common import build, num


def gradients(impl, spec, inputs):
    """The output's data and every input's grad after the submission's own ops and ``backward()``."""
    leaves = [impl.engine.Value(x) for x in inputs]
    out = build(spec, leaves)[-1]
    out.backward()
    return {"data": num(out.data), "grads": [num(v.grad) for v in leaves]}
