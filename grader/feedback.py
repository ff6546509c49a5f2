"""How a check says what went wrong: expected, got, a hint, and the failing case."""


class CheckFailed(AssertionError):
    """A check's verdict on graded code, in words a student can act on.

    ``hint`` is an id from ``hints.HINTS``; ``case`` is the smallest failing
    input written as a formula (``f(a, b) = tanh(a*b) + a  at a=0.5, b=-1.0``);
    ``graph`` is that case as a graph, every node's values beside the
    reference's, for the HTML report to draw (``checks.graphs.graph_payload``).
    """

    def __init__(self, message, *, expected=None, got=None, hint=None, case=None, graph=None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.got = got
        self.hint = hint
        self.case = case
        self.graph = graph


def location(detail, message=""):
    """`` (in engine.py, line 42, in __add__: <code>)``: where in the graded file it happened.

    ``detail`` is a GradedCodeError's ``detail``. A SyntaxError's message
    already names the file and line: then only the code is added.
    """
    where = (detail or {}).get("where") or {}
    if not where.get("file"):
        return ""
    code = f": {where['code']}" if where.get("code") else ""
    if f"{where['file']}, line {where.get('line')}" in message:
        return code
    text = f" (in {where['file']}, line {where.get('line')}"
    if where.get("function") and where["function"] != "<module>":
        text += f", in {where['function']}"
    return text + code + ")"
