import sys


def _exiting_backward(self):
    sys.exit(3)


Value.backward = _exiting_backward
