"""Stopping a property check at once when graded code hangs, dies, or is not written yet.

No hypothesis here: ``conftest`` needs this, and grading stage 0 alone need
not load hypothesis at all.
"""

from grader.hangs import Blocked
from grader.sandbox import Crashed, ImportFailed, NotImplementedYet, TimedOut


class FatalInProperty(BaseException):
    """Carries graded code's hang, crash or missing code out of a property check at once.

    hypothesis stops as soon as a BaseException escapes an example, instead
    of shrinking through dozens of timeouts; conftest turns it back into the
    error it carries.
    """

    def __init__(self, error):
        super().__init__(error)
        self.error = error


class StopOnFatal:
    """A sandbox for property checks: ``call`` raises FatalInProperty for a hang, crash or stub."""

    FATAL = (TimedOut, Blocked, Crashed, NotImplementedYet, ImportFailed)

    def __init__(self, sandbox):
        self.unwrapped = sandbox

    def call(self, scenario, **kwargs):
        try:
            return self.unwrapped.call(scenario, **kwargs)
        except self.FATAL as error:
            raise FatalInProperty(error) from None
