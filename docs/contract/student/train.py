"""Your training loop (stage 5): loss, gradient descent, zeroing gradients.

Grade it with ``nox -s grade -- --stage 5``. Docs: the page "Stage 5: training".
"""


def mse_loss(ypred, ys):
    """The mean squared error: ``sum((yp - y)**2) / len(ys)``.

    ``ypred`` is a list of ``Value`` predictions, ``ys`` plain-number targets.
    Returns a ``Value``, so that ``loss.backward()`` works.
    """
    # TODO (stage 5)
    raise NotImplementedError("stage 5: mse_loss -- docs page 'Stage 5: training'")


def sgd_step(parameters, lr):
    """One step of gradient descent: ``p.data -= lr * p.grad`` for each parameter.

    The gradient points uphill; to lower the loss, step against it.
    """
    # TODO (stage 5)
    raise NotImplementedError("stage 5: sgd_step -- docs page 'Stage 5: training'")


def train(model, xs, ys, steps, lr):
    """Train ``model`` for ``steps`` steps; return the list of losses.

    Each step: predictions for every input in ``xs``, ``mse_loss`` against
    ``ys``, ``model.zero_grad()``, ``loss.backward()``, ``sgd_step`` over
    ``model.parameters()``, then record ``loss.data`` (as it was before the
    update).
    """
    # TODO (stage 5)
    raise NotImplementedError("stage 5: train -- docs page 'Stage 5: training'")
