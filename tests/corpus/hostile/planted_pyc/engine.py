"""An unfinished engine, shipped with a __pycache__ file compiled from the reference."""


class Value:
    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        raise NotImplementedError("stage 1: Value.__add__")

    def __mul__(self, other):
        raise NotImplementedError("stage 1: Value.__mul__")
