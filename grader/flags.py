"""Honesty flags, kept small whatever graded code does: de-duplicated and capped per module.

Graded code chooses how many flags it raises (a loop that tries a thousand
forbidden paths raises a thousand), so every place that gathers flags goes
through ``Intake``: O(1) per flag, at most ``MAX_PER_MODULE`` kept for each
module (one more entry says that others were left out), each reason at most
``MAX_REASON`` characters. One flag zeroes a module's stages; the rest are
only evidence.
"""

MAX_PER_MODULE = 20
MAX_REASON = 300


class Intake:
    """Appends ``{"module", "reason"}`` flags to ``flags`` (a list), skipping repeats and overflow."""

    def __init__(self, flags=None):
        self.flags = [] if flags is None else flags
        self._seen = set()
        self._kept = {}  # module -> flags kept for it
        self._overflowed = set()

    def add(self, module, reason):
        module, reason = str(module), _shortened(str(reason))
        key = (module, reason)
        if key in self._seen or module in self._overflowed:
            return
        if self._kept.get(module, 0) >= MAX_PER_MODULE:
            self._overflowed.add(module)
            self.flags.append({"module": module, "reason": f"{module}.py raised more flags than the "
                                                           f"{MAX_PER_MODULE} listed; the rest are left out"})
            return
        self._seen.add(key)
        self._kept[module] = self._kept.get(module, 0) + 1
        self.flags.append({"module": module, "reason": reason})

    def extend(self, flags):
        for flag in flags:
            if isinstance(flag, dict):
                self.add(flag.get("module"), flag.get("reason"))
        return self.flags


def capped(flags):
    """``flags`` de-duplicated and capped (a new list)."""
    return Intake().extend(flags)


def _shortened(reason):
    return reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 5] + " [...]"
