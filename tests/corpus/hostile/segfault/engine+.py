import sys


class _Chain:
    """A node shown as its child is: a recursive __repr__ goes through C at every level."""

    def __init__(self, depth):
        self.depth = depth

    def __repr__(self):
        return f"Chain({_Chain(self.depth + 1)!r})"


def _bottomless_backward(self):
    sys.setrecursionlimit(10**6)  # no RecursionError to stop it: the C stack overflows instead
    repr(_Chain(0))


Value.backward = _bottomless_backward
