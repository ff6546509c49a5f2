"""Slots, no closures: each node's _backward looks up its rule by _op in a table of functions."""

import math


def _add(out):
    a, b = out._prev
    a.grad += out.grad
    b.grad += out.grad


def _mul(out):
    a, b = out._prev
    a.grad += b.data * out.grad
    b.grad += a.data * out.grad


def _pow(out):
    (a,) = out._prev
    a.grad += out._arg * a.data ** (out._arg - 1) * out.grad


def _tanh(out):
    (a,) = out._prev
    a.grad += (1 - out.data * out.data) * out.grad


def _exp(out):
    (a,) = out._prev
    a.grad += out.data * out.grad


def _log(out):
    (a,) = out._prev
    a.grad += out.grad / a.data


def _relu(out):
    (a,) = out._prev
    a.grad += (out.data > 0) * out.grad


RULES = {'+': _add, '*': _mul, '**': _pow, 'tanh': _tanh, 'exp': _exp, 'log': _log, 'relu': _relu}


class Value:
    __slots__ = ('data', 'grad', '_prev', '_op', '_arg', 'label')

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._arg = None
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def _backward(self):
        rule = RULES.get(self._op)
        if rule:
            rule(self)

    @staticmethod
    def _wrap(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = self._wrap(other)
        return Value(self.data + other.data, (self, other), '+')

    def __mul__(self, other):
        other = self._wrap(other)
        return Value(self.data * other.data, (self, other), '*')

    def __pow__(self, k):
        assert isinstance(k, (int, float))
        out = Value(self.data ** k, (self,), '**')
        out._arg = k
        return out

    def tanh(self):
        return Value(math.tanh(self.data), (self,), 'tanh')

    def exp(self):
        return Value(math.exp(self.data), (self,), 'exp')

    def log(self):
        return Value(math.log(self.data), (self,), 'log')

    def relu(self):
        return Value(max(self.data, 0.0), (self,), 'relu')

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return -self + other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return self ** -1 * other

    def backward(self):
        topo, visited, stack = [], set(), [iter([self])]
        path = []
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                if path:
                    topo.append(path.pop())
            elif child not in visited:
                visited.add(child)
                path.append(child)
                stack.append(iter(child._prev))
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
