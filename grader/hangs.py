"""An endless loop in graded code costs a grade one time limit, and shows as one failure.

A call that hangs costs its whole time limit (5 s), and without a cap every
later check that runs the same loop costs it again (one loop in
``backward()`` cost a grade a minute, and showed as several failures).
``HangCap`` wraps a ``Sandbox`` with the same ``call``:

- once code in a module has hung, later calls into that module get a short
  time limit (``PROBE_S``): a call that does not reach the loop answers
  within it, and one stuck in the same function again fails at once with
  ``Blocked``, which the report shows as "not run" because of that one hang;
- a short call stopped anywhere else is run again with its full limit, so
  slow but finite code is never judged by the short one;
- a module's first hang gets at most what is left of ``BUDGET_S`` (never
  less than ``FLOOR_S``), so several modules that hang cost a grade about
  that much.

So the endless loop in ``backward()`` costs a grade one 5 s limit plus about
half a second per later check of the stage. Charges are time limits, not
measured times: the same submission gets the same report on a busy machine.
"""

from .sandbox import STACK_DUMP_WAIT, GradedCodeError, TimedOut

BUDGET_S = 9.0  # what the first hangs of several modules may cost together
PROBE_S = 0.25  # graded calls take milliseconds: code that does not reach the loop answers well within it
FLOOR_S = 2.0  # the least a module that never hung gets, budget spent or not: slow code still finishes


class Blocked(GradedCodeError):
    """A call stopped because it was stuck where graded code already hung; ``hang`` is that TimedOut."""

    def __init__(self, message, hang):
        super().__init__(message, hang.detail)
        self.hang = hang


class HangCap:
    """A ``Sandbox`` whose endless loops cost a grade one time limit, not one per check."""

    def __init__(self, sandbox, budget_s=BUDGET_S, probe_s=PROBE_S):
        self.sandbox = sandbox
        self.left = budget_s
        self.probe_s = probe_s
        self.hangs = {}  # graded module -> [TimedOut]: where its code did not finish

    @property
    def flags(self):
        return self.sandbox.flags

    @property
    def graded_files(self):
        return self.sandbox.graded_files

    def call(self, scenario, *, modules=(), from_reference=(), timeout=None, **args):
        graded = {f"{m}.py" for m in modules if m not in from_reference}
        earlier = [hang for name in sorted(graded) for hang in self.hangs.get(name, ())]
        full = self.sandbox.call_timeout if timeout is None else timeout
        if earlier:
            try:
                return self._call(scenario, modules, from_reference, min(full, self.probe_s), args)
            except TimedOut as error:
                same = next((hang for hang in earlier if _meets(hang, error)), None)
                if same is not None:
                    raise blocked(same) from None
        return self._call(scenario, modules, from_reference,
                          min(full, max(self.left - STACK_DUMP_WAIT, FLOOR_S)), args, graded)

    def _call(self, scenario, modules, from_reference, limit, args, graded=()):
        try:
            return self.sandbox.call(scenario, modules=modules, from_reference=from_reference, timeout=limit,
                                     **args)
        except TimedOut as error:
            self.left -= limit + STACK_DUMP_WAIT
            for name in graded:
                self.hangs.setdefault(name, []).append(error)
            raise


def blocked(hang):
    return Blocked(f"not run: blocked by {describe(hang, short=True)}, which never finished "
                   "(see the check that timed out)", hang)


def describe(hang, short=False):
    """``backward() in engine.py`` (short), or that plus where it was stopped and after how long."""
    detail = hang.detail or {}
    where = detail.get("where")
    if not where:
        return "your code" if short else hang.message
    outer = (where.get("stack") or [where])[-1]  # the graded function the grader called
    name = f"{outer['function']}()" if outer.get("function") not in (None, "<module>") else "the module"
    text = f"{name} in {outer['file']}"
    if short:
        return text
    seconds = detail.get("what", "").removeprefix("still running ")
    text += f", stopped {seconds} at line {where.get('line')}" if seconds else f", stopped at line {where.get('line')}"
    if where is not outer and where.get("function") != outer.get("function"):
        text += f", in {where['function']}"
    return text + (f": {where['code']}" if where.get("code") else "")


def _meets(hang, error):
    """Whether ``error`` stopped in a graded function that ``hang`` was stuck in too."""
    def functions(e):
        where = (e.detail or {}).get("where") or {}
        return {(f.get("file"), f.get("function")) for f in where.get("stack") or [where] if f.get("file")}
    return bool(functions(hang) & functions(error))
