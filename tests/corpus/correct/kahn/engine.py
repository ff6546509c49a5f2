"""backward() with Kahn's algorithm: count each node's users, release a node once all of them ran."""

import math


class Value:

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def _make(self, data, children, op, rule):
        out = Value(data, children, op)

        def _backward():
            for child, local in zip(children, rule(out)):
                child.grad += local * out.grad
        out._backward = _backward
        return out

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._make(self.data + other.data, (self, other), '+', lambda out: (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._make(self.data * other.data, (self, other), '*', lambda out: (other.data, self.data))

    def __pow__(self, other):
        assert isinstance(other, (int, float))
        return self._make(self.data ** other, (self,), '**',
                          lambda out: (other * self.data ** (other - 1),))

    def tanh(self):
        return self._make(math.tanh(self.data), (self,), 'tanh', lambda out: (1 - out.data ** 2,))

    def exp(self):
        return self._make(math.exp(self.data), (self,), 'exp', lambda out: (out.data,))

    def log(self):
        return self._make(math.log(self.data), (self,), 'log', lambda out: (1 / self.data,))

    def relu(self):
        return self._make(self.data if self.data > 0 else 0, (self,), 'relu',
                          lambda out: (float(out.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1

    def backward(self):
        # how many distinct nodes use each node
        users = {id(self): 0}
        nodes = {id(self): self}
        queue = [self]
        while queue:
            node = queue.pop()
            for child in set(node._prev):
                if id(child) not in users:
                    users[id(child)] = 0
                    nodes[id(child)] = child
                    queue.append(child)
                users[id(child)] += 1
        # release a node once every node using it has passed its gradient down
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for child in set(node._prev):
                users[id(child)] -= 1
                if users[id(child)] == 0:
                    ready.append(child)
