"""Your scalar autograd engine (stages 1-3).

Each operation builds a new ``Value`` that remembers its children (``_prev``)
and the operation (``_op``), and sets ``out._backward``: a closure that passes
``out.grad`` down to the children with the chain rule. ``backward()`` then
rides the graph in reverse, calling each node's ``_backward`` once.

Grade just this file's stages with ``nox -s grade -- --stage 1`` (or 2, 3).
Docs: the pages "Stage 1: the forward pass", "Stage 2: local backward rules"
and "Stage 3: backpropagation".
"""

import math


class Value:
    """One scalar in a computational graph, plus dL/d(this scalar) in ``grad``.

    Given, not an exercise: the constructor and ``__repr__``.
    """

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        # called by backward(); every op replaces it with its own chain-rule step
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    # ---- stage 1 (forward) and stage 2 (backward) ----

    def __add__(self, other):
        """``self + other``; ``other`` may be a plain number (wrap it in a ``Value``).

        Forward: ``out.data = self.data + other.data``, with ``_prev`` holding
        both operands and ``_op = '+'``.

        Backward: d(out)/d(self) = 1 and d(out)/d(other) = 1, so a sum passes
        ``out.grad`` unchanged to both operands. Add it (``+=``): a node used
        twice, as in ``a + a``, must collect both contributions.
        """
        # TODO (stage 1): wrap a plain-number `other`, build `out`
        # TODO (stage 2): define _backward() adding the local derivatives
        #                 times out.grad to each child's grad; set out._backward
        raise NotImplementedError("stage 1: Value.__add__ -- docs page 'Stage 1: the forward pass'")

    def __mul__(self, other):
        """``self * other``; ``other`` may be a plain number.

        Forward: ``out.data = self.data * other.data``, ``_op = '*'``.

        Backward: d(out)/d(self) = other.data and d(out)/d(other) = self.data;
        each times ``out.grad`` (the chain rule), added to the child's grad.
        """
        # TODO (stage 1): wrap a plain-number `other`, build `out`
        # TODO (stage 2): set out._backward
        raise NotImplementedError("stage 1: Value.__mul__ -- docs page 'Stage 1: the forward pass'")

    def __pow__(self, other):
        """``self ** other`` for a plain ``int`` or ``float`` exponent ``other``.

        Forward: ``out.data = self.data ** other``; ``_prev`` holds only
        ``self`` (the exponent is a constant, not a node).

        Backward (the power rule): d(out)/d(self) = other * self.data ** (other - 1).
        """
        # TODO (stage 1): check the exponent is an int or float, build `out`
        # TODO (stage 2): set out._backward
        raise NotImplementedError("stage 1: Value.__pow__ -- docs page 'Stage 1: the forward pass'")

    def tanh(self):
        """The hyperbolic tangent, squashing any number into (-1, 1).

        Forward: t = (e^(2x) - 1) / (e^(2x) + 1) with x = self.data
        (``math.tanh`` computes the same without overflowing).

        Backward: d(tanh x)/dx = 1 - t**2, where t is the *output*.
        """
        # TODO (stage 1): build `out`
        # TODO (stage 2): set out._backward
        raise NotImplementedError("stage 1: Value.tanh -- docs page 'Stage 1: the forward pass'")

    def exp(self):
        """e ** self.data.

        Backward: d(e^x)/dx = e^x, which is the output's own ``data``.
        """
        # TODO (stage 1): build `out`
        # TODO (stage 2): set out._backward
        raise NotImplementedError("stage 1: Value.exp -- docs page 'Stage 1: the forward pass'")

    def log(self):
        """The natural logarithm of self.data (cross-entropy losses need it).

        Backward: d(ln x)/dx = 1 / x, with x the *input*.
        """
        # TODO (stage 1): build `out`
        # TODO (stage 2): set out._backward
        raise NotImplementedError("stage 1: Value.log -- docs page 'Stage 1: the forward pass'")

    def relu(self):
        """max(0, self.data): the rectified linear unit.

        Backward: the gradient flows through where the output is positive:
        d(out)/d(self) = 1 if out.data > 0 else 0 (0 at exactly 0, as in micrograd).
        """
        # TODO (stage 1): build `out`
        # TODO (stage 2): set out._backward
        raise NotImplementedError("stage 1: Value.relu -- docs page 'Stage 1: the forward pass'")

    # ---- stage 1: operations built from the ones above ----
    # Build these from the primitives (no _backward of their own needed):
    # the primitives' rules then give their gradients for free.

    def __neg__(self):
        """``-self``, e.g. as ``self * -1``."""
        # TODO (stage 1)
        raise NotImplementedError("stage 1: Value.__neg__ -- docs page 'Stage 1: the forward pass'")

    def __radd__(self, other):
        """``other + self`` when ``other`` is a plain number, e.g. ``2 + a``."""
        # TODO (stage 1)
        raise NotImplementedError("stage 1: Value.__radd__ -- docs page 'Stage 1: the forward pass'")

    def __sub__(self, other):
        """``self - other``, e.g. as ``self + (-other)``."""
        # TODO (stage 1)
        raise NotImplementedError("stage 1: Value.__sub__ -- docs page 'Stage 1: the forward pass'")

    def __rsub__(self, other):
        """``other - self`` when ``other`` is a plain number, e.g. ``1 - a``."""
        # TODO (stage 1)
        raise NotImplementedError("stage 1: Value.__rsub__ -- docs page 'Stage 1: the forward pass'")

    def __rmul__(self, other):
        """``other * self`` when ``other`` is a plain number, e.g. ``2 * a``."""
        # TODO (stage 1)
        raise NotImplementedError("stage 1: Value.__rmul__ -- docs page 'Stage 1: the forward pass'")

    def __truediv__(self, other):
        """``self / other``, e.g. as ``self * other**-1``."""
        # TODO (stage 1)
        raise NotImplementedError("stage 1: Value.__truediv__ -- docs page 'Stage 1: the forward pass'")

    def __rtruediv__(self, other):
        """``other / self`` when ``other`` is a plain number, e.g. ``1 / a``."""
        # TODO (stage 1)
        raise NotImplementedError("stage 1: Value.__rtruediv__ -- docs page 'Stage 1: the forward pass'")

    # ---- stage 3 ----

    def backward(self):
        """Backpropagate from this node: fill in ``grad`` on every node below it.

        1. Order the graph topologically: every node after all its children.
           Do it without recursion (an explicit stack, or Kahn's algorithm):
           graphs far deeper than Python's recursion limit must work, in time
           linear in the number of nodes.
        2. Seed ``self.grad = 1.0`` (dL/dL = 1).
        3. Call each node's ``_backward()`` exactly once, in *reverse*
           topological order, so a node's grad is complete before it is passed on.

        Never reset gradients here: they accumulate until zeroed.
        """
        # TODO (stage 3)
        raise NotImplementedError("stage 3: Value.backward -- docs page 'Stage 3: backpropagation'")
