"""Stage 0's scenarios: the submission's numerical derivative and its gradients worked by hand."""

try:  # the grading process: grader.worker.stage_0
    from .common import num, short_repr
except ImportError:  # the worker: a top-level module beside common.py
    from common import num, short_repr

FUNCTIONS = {
    "lecture": lambda x: 3 * x ** 2 - 4 * x + 5,  # the lecture's first function
    "cubic": lambda x: x ** 3 - 2 * x,
    "abc": lambda a, b, c: a * b + c,  # the lecture's d = a*b + c
    "mixed": lambda x, y, z: x * x * y - 3 * z + x * z ** 3,
}


def numerical_derivative(impl, f, args, wrt=None, h=None):
    """The submission's numerical derivative of FUNCTIONS[f] at ``args``."""
    kwargs = {}
    if wrt is not None:
        kwargs["wrt"] = wrt
    if h is not None:
        kwargs["h"] = h
    return num(impl.derivatives.numerical_derivative(FUNCTIONS[f], *args, **kwargs))


def hand_gradients(impl, which):
    """What ``lecture_gradients()`` or ``neuron_gradients()`` returns, as a dict of numbers."""
    result = getattr(impl.derivatives, which)()
    if not isinstance(result, dict):
        return {"not_a_dict": type(result).__name__, "repr": short_repr(result)}
    return {str(key): num(value) for key, value in result.items()}
