"""How checks judge what graded code returned: numbers with tolerance, expected values, failures."""

import json
import math

from grader import scenarios
from grader.feedback import CheckFailed, location
from grader.sandbox import RaisedException

REL_TOL, ABS_TOL = 1e-6, 1e-9  # the lecture itself prints -1.4999999999999996


def expected(ref, scenario, **args):
    """The scenario's answer on the reference, run in this process, shaped as if it came from a worker."""
    return json.loads(json.dumps(scenarios.function(scenario)(ref, **args)))


def is_number(x):
    return type(x) is float


def close(got, want):
    """Whether ``got`` is a real float close to ``want``."""
    return is_number(got) and (math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)
                               or (math.isnan(got) and math.isnan(want)))


def all_close(got, want):
    """Element-wise ``close`` over (nested) lists of the same shape."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(all_close, got, want))
    return close(got, want)


def show(x):
    """A number as a student reads it; anything else as what it was."""
    if is_number(x):
        return f"{x:.8g}"
    if isinstance(x, dict) and "not_a_number" in x:
        return f"{x['repr']} (a {x['not_a_number']}, not a number)"
    if isinstance(x, list):
        if len(x) > 6:  # enough to see the pattern, not a screenful
            return "[" + ", ".join(show(v) for v in x[:5]) + f", ... ({len(x)} in all)]"
        return "[" + ", ".join(show(v) for v in x) + "]"
    return repr(x)


def require_number(got, what, hint, case=None):
    """``got`` if it is a float; otherwise fail saying what it was instead."""
    if not is_number(got):
        raise CheckFailed(f"{what} should be a number, but it is {show(got)}", expected="a float",
                          got=show(got), hint=hint, case=case)
    return got


def raised(error, what, hint, case=None):
    """A CheckFailed for graded code that raised ``error`` while doing ``what``."""
    return CheckFailed(f"{what} raised {error.message}{location(error.detail, error.message)}", expected="no exception",
                       got=error.message, hint=hint, case=case)


def answer(sandbox, scenario, what, case, diagnose=None, **args):
    """The scenario's answer from the graded code.

    If it raises, the check fails with the hint for a raised exception, or
    the one ``diagnose(error)`` finds in the exception itself: an exception
    is never blamed on a mistake of logic that it does not show.
    """
    try:
        return sandbox.call(scenario, **args)
    except RaisedException as error:
        raise raised(error, what, (diagnose and diagnose(error)) or "raised-exception", case) from None


def error_type(error):
    return (getattr(error, "detail", None) or {}).get("type")


REFLECTED = ("radd", "rmul", "rsub", "rdiv")


def exception_hint(error, ops):
    """The likely mistake behind an exception raised while building ``ops``."""
    message = (getattr(error, "detail", None) or {}).get("message") or error.message
    if error_type(error) == "TypeError" and "unsupported operand" in message:
        # 2 * a: Python asks a.__rmul__ after int.__mul__ gives up; a * 2 fails inside Value
        number_first = message.rstrip().endswith("'Value'") or "and 'Value'" in message
        return "reflected-ops" if number_first and any(op in REFLECTED for op in ops) else "wrap-numbers"
    if error_type(error) == "AttributeError" and ("'int' object" in message or "'float' object" in message):
        return "wrap-numbers"
    if error_type(error) == "AssertionError" and "pow" in ops:
        return "pow-exponent"
    return "raised-exception"
