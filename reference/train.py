"""Training: measure the loss, backpropagate, nudge every parameter downhill."""


def mse_loss(ypred, ys):
    """The mean of the squared errors between predictions (Values) and targets (numbers)."""
    return sum((yp - y) ** 2 for yp, y in zip(ypred, ys)) / len(ys)


def sgd_step(parameters, lr):
    """One step of gradient descent: against the gradient, since it points uphill."""
    for p in parameters:
        p.data -= lr * p.grad


def train(model, xs, ys, steps, lr):
    """Forward, loss, zero_grad, backward, update; returns each step's loss before its update."""
    losses = []
    for _ in range(steps):
        ypred = [model(x) for x in xs]
        loss = mse_loss(ypred, ys)
        model.zero_grad()  # gradients accumulate (+=): clear last step's first
        loss.backward()
        sgd_step(model.parameters(), lr)
        losses.append(loss.data)
    return losses
