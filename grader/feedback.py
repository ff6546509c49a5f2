"""How a check says what went wrong: expected, got, a hint, and the failing case."""


class CheckFailed(AssertionError):
    """A check's verdict on graded code, in words a student can act on.

    ``hint`` is an id from ``hints.HINTS``; ``case`` is the smallest failing
    input written as a formula (``f(a, b) = tanh(a*b) + a  at a=0.5, b=-1.0``).
    """

    def __init__(self, message, *, expected=None, got=None, hint=None, case=None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.got = got
        self.hint = hint
        self.case = case
