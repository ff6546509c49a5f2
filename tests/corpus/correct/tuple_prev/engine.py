"""Children kept as a tuple, in operand order; unary ops share one helper; an iterator-stack DFS."""

import math


class Value:

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Value) else Value(x)

    def _unary(self, data, op, local):
        out = Value(data, (self,), op)

        def _backward():
            self.grad += local(out) * out.grad
        out._backward = _backward
        return out

    def __add__(self, other):
        other = self._lift(other)
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        if not isinstance(k, (int, float)):
            raise TypeError("the exponent must be an int or a float")
        return self._unary(self.data ** k, f'**{k}', lambda out: k * self.data ** (k - 1))

    def tanh(self):
        return self._unary(math.tanh(self.data), 'tanh', lambda out: 1 - out.data ** 2)

    def exp(self):
        return self._unary(math.exp(self.data), 'exp', lambda out: out.data)

    def log(self):
        return self._unary(math.log(self.data), 'log', lambda out: 1 / self.data)

    def relu(self):
        return self._unary(max(0.0, self.data), 'relu', lambda out: 1.0 if out.data > 0 else 0.0)

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other):
        return self._lift(other) * self ** -1

    def backward(self):
        # depth-first, one iterator per node on an explicit stack: post-order without recursion
        topo, visited = [], {id(self)}
        stack = [(self, iter(self._prev))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, iter(child._prev)))
                    break
            else:
                stack.pop()
                topo.append(node)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
