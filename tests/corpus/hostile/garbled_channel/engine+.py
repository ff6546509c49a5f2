import json
import struct
import sys

_reply_fd = json.loads(sys.argv[1])["reply_fd"] if len(sys.argv) > 1 else None


def _forging_tanh(self):
    """Answer for the worker: a reply to a question nobody asked, then half a message."""
    forged = json.dumps({"id": 10**6, "ok": True, "result": {"out": 0.0, "a": 0.0, "b": 0.0}}).encode()
    import os
    os.write(_reply_fd, struct.pack("!Q", len(forged)) + forged + struct.pack("!Q", 99) + b"{")
    return Value(0.0)


Value.tanh = _forging_tanh
