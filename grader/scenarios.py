"""Scenarios: what the grader asks a worker to do with a submission.

Each function runs inside the worker process (standard library only) with
``impl``, the loaded submission, and returns plain JSON data: numbers as
``float``, never the submission's own objects.
"""


def ping(impl):
    return "pong"


def lecture_expression(impl):
    Value = impl.engine.Value
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    return {"L": float(L.data), "a": float(a.grad), "b": float(b.grad), "c": float(c.grad), "f": float(f.grad)}
