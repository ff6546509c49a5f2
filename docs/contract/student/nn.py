"""Your neural-network library (stage 4): neurons, layers, an MLP.

Grade it with ``nox -s grade -- --stage 4``. Docs: the page
"Stage 4: the neural-network library".
"""

import random

from .engine import Value


class Module:
    """Anything with parameters: every model zeroes its gradients the same way."""

    def zero_grad(self):
        """Set the ``grad`` of every parameter to ``0.0``.

        Gradients accumulate (``+=``), so training must clear them before
        each ``backward()``.
        """
        # TODO (stage 4)
        raise NotImplementedError("stage 4: Module.zero_grad -- docs page 'Stage 4: the neural-network library'")

    def parameters(self):
        """Every trainable ``Value`` of the model, in a fixed order (none here)."""
        return []


class Neuron(Module):
    """One neuron: ``tanh(sum(w_i * x_i) + b)``."""

    def __init__(self, nin, nonlin=True):
        """Make ``w``, a list of ``nin`` weights, then ``b``, the bias.

        Draw each as ``Value(random.uniform(-1, 1))``, weights first in order,
        then the bias, so that ``random.seed`` gives the same network as the
        reference. ``nonlin=False`` makes a linear neuron (no tanh).
        """
        # TODO (stage 4): self.w, self.b, self.nonlin
        raise NotImplementedError("stage 4: Neuron.__init__ -- docs page 'Stage 4: the neural-network library'")

    def __call__(self, x):
        """The neuron's output for inputs ``x`` (``nin`` numbers or ``Value``s).

        ``act = w . x + b``; return ``act.tanh()``, or ``act`` if not ``nonlin``.
        """
        # TODO (stage 4)
        raise NotImplementedError("stage 4: Neuron.__call__ -- docs page 'Stage 4: the neural-network library'")

    def parameters(self):
        """``w + [b]``: the weights in order, then the bias."""
        # TODO (stage 4)
        raise NotImplementedError("stage 4: Neuron.parameters -- docs page 'Stage 4: the neural-network library'")


class Layer(Module):
    """``nout`` neurons, each looking at the same ``nin`` inputs."""

    def __init__(self, nin, nout, **kwargs):
        """Make ``neurons``: a list of ``nout`` ``Neuron(nin, **kwargs)``."""
        # TODO (stage 4)
        raise NotImplementedError("stage 4: Layer.__init__ -- docs page 'Stage 4: the neural-network library'")

    def __call__(self, x):
        """The list of each neuron's output, or the single ``Value`` when ``nout == 1``."""
        # TODO (stage 4)
        raise NotImplementedError("stage 4: Layer.__call__ -- docs page 'Stage 4: the neural-network library'")

    def parameters(self):
        """Every neuron's parameters, neuron after neuron."""
        # TODO (stage 4)
        raise NotImplementedError("stage 4: Layer.parameters -- docs page 'Stage 4: the neural-network library'")


class MLP(Module):
    """A multi-layer perceptron: ``MLP(3, [4, 4, 1])`` has 41 parameters."""

    def __init__(self, nin, nouts):
        """Make ``layers``: sizes ``[nin] + nouts``, one ``Layer`` per pair, every neuron tanh."""
        # TODO (stage 4)
        raise NotImplementedError("stage 4: MLP.__init__ -- docs page 'Stage 4: the neural-network library'")

    def __call__(self, x):
        """Feed ``x`` through each layer in turn and return the last layer's output.

        A hidden layer of width 1 returns a single ``Value``: the next layer
        still needs a list (``MLP(2, [3, 1, 1])`` must work).
        """
        # TODO (stage 4)
        raise NotImplementedError("stage 4: MLP.__call__ -- docs page 'Stage 4: the neural-network library'")

    def parameters(self):
        """Every layer's parameters, layer after layer."""
        # TODO (stage 4)
        raise NotImplementedError("stage 4: MLP.parameters -- docs page 'Stage 4: the neural-network library'")
