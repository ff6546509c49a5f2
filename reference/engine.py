"""A scalar autograd engine: micrograd, as built in the lecture.

A ``Value`` remembers how it was made (its children and the operation), so
``backward()`` can ride the graph in reverse and apply the chain rule at every
node.

One difference from the lecture: each op's backward rule is a function picked
by the node's ``_op`` (as PyTorch's ``grad_fn`` nodes work), written right
under the op, instead of a closure stored on every node. The rules read the
same; a node with no closure is cheaper for Python's garbage collector (see
the docs page "Two ways to store a backward rule"). Code outside the class
can still make an op of its own the lecture's way, ``out._backward = ...``.
"""

import functools

import math


class Value:
    """One scalar in a computational graph, plus dL/d(this scalar) in ``grad``."""

    __slots__ = ("data", "grad", "_prev", "_op", "_saved", "label", "_own_backward")

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._saved = None  # what a backward rule needs besides the children
        self.label = label
        self._own_backward = None  # a custom op's closure (see _backward)

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    @property
    def _backward(self):
        """A no-argument callable adding d(self)/d(child) * self.grad to each child's grad.

        The rule of the node's ``_op``; leaves have none, so theirs does nothing.
        An op made outside the class, as in the lecture, sets its own closure:
        ``out = Value(data, (x,), 'mean'); out._backward = _backward``.
        """
        if self._own_backward is not None:
            return self._own_backward
        rule = _BACKWARD_RULES.get(self._op)
        return _leaf_backward if rule is None else functools.partial(rule, self)

    @_backward.setter
    def _backward(self, closure):
        self._own_backward = closure

    # ---- primitive ops: forward, then the local backward rule ----

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), '+')

    @staticmethod
    def _add_backward(out):
        self, other = out._prev
        self.grad += 1.0 * out.grad
        other.grad += 1.0 * out.grad

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), '*')

    @staticmethod
    def _mul_backward(out):
        self, other = out._prev
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = Value(self.data ** other, (self,), '**')
        out._saved = other
        return out

    @staticmethod
    def _pow_backward(out):
        (self,), other = out._prev, out._saved
        self.grad += other * self.data ** (other - 1) * out.grad

    def tanh(self):
        t = math.tanh(self.data)  # (e^2x - 1)/(e^2x + 1), without overflowing
        return Value(t, (self,), 'tanh')

    @staticmethod
    def _tanh_backward(out):
        (self,), t = out._prev, out.data
        self.grad += (1 - t**2) * out.grad

    def exp(self):
        return Value(math.exp(self.data), (self,), 'exp')

    @staticmethod
    def _exp_backward(out):
        (self,) = out._prev
        self.grad += out.data * out.grad

    def log(self):
        return Value(math.log(self.data), (self,), 'log')

    @staticmethod
    def _log_backward(out):
        (self,) = out._prev
        self.grad += (1 / self.data) * out.grad

    def relu(self):
        return Value(0.0 if self.data < 0 else self.data, (self,), 'ReLU')

    @staticmethod
    def _relu_backward(out):
        (self,) = out._prev
        self.grad += (out.data > 0) * out.grad

    # ---- composite ops: built from the primitives, so no rules of their own ----

    def __neg__(self):  # -self
        return self * -1

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        return self * other**-1

    def __rtruediv__(self, other):  # other / self
        return other * self**-1

    # ---- backpropagation ----

    def backward(self):
        # Order the graph so that every node comes after all of its children.
        # The lecture's recursive build_topo stops at Python's recursion limit
        # (about 1000 deep); an explicit stack has no such limit.
        topo, visited = [], set()
        stack = [(self, False)]
        while stack:
            v, children_done = stack.pop()
            if children_done:
                topo.append(v)
            elif v not in visited:
                visited.add(v)
                stack.append((v, True))
                stack.extend((child, False) for child in v._prev if child not in visited)

        # Go one node at a time and apply the chain rule, output first:
        # v._backward(), spelled out so that no callable is made per node.
        self.grad = 1.0
        for v in reversed(topo):
            if v._own_backward is not None:
                v._own_backward()
            else:
                rule = _BACKWARD_RULES.get(v._op)
                if rule is not None:
                    rule(v)


def _leaf_backward():
    pass


_BACKWARD_RULES = {
    '+': Value._add_backward,
    '*': Value._mul_backward,
    '**': Value._pow_backward,
    'tanh': Value._tanh_backward,
    'exp': Value._exp_backward,
    'log': Value._log_backward,
    'ReLU': Value._relu_backward,
}
