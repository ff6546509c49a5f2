import json
import struct
import sys

_frame = sys._getframe()  # the worker's own frames hold its reply pipe's descriptor
while _frame is not None and "reply_fd" not in _frame.f_locals:
    _frame = _frame.f_back
_reply_fd = _frame and _frame.f_locals["reply_fd"]


def _forging_tanh(self):
    """Answer for the worker: a reply to a question nobody asked, then half a message."""
    forged = json.dumps({"id": 10**6, "ok": True, "result": {"out": 0.0, "a": 0.0, "b": 0.0}}).encode()
    import os
    os.write(_reply_fd, struct.pack("!Q", len(forged)) + forged + struct.pack("!Q", 99) + b"{")
    return Value(0.0)


Value.tanh = _forging_tanh
