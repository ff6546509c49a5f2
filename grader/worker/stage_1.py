"""Stage 1's scenario: a graph built with the submission's ops, as data.

No forward rule of the grader's is here: the expected values come from the
reference, run in the grading process.
"""

try:  # the grading process: grader.worker.stage_1
    from .common import build, built
except ImportError:  # the worker: a top-level module beside common.py
    from common import build, built


def forward(impl, spec, inputs):
    """Build the spec with the submission's ops: every node as data, and the inputs afterwards."""
    Value = impl.engine.Value
    leaves = [Value(x) for x in inputs]
    return built(build(spec, leaves), leaves, Value)


def value_exponent(impl, base, exponent):
    """``Value(base) ** Value(exponent)``: refused (any exception but NotImplementedError), or what it gave."""
    Value = impl.engine.Value
    a = Value(base)
    try:
        out = a ** Value(exponent)
    except NotImplementedError:
        raise
    except Exception as error:
        return {"refused": True, "error": type(error).__name__}
    return {"refused": False, "result": built([a, out], [a], Value)["nodes"][0]}
