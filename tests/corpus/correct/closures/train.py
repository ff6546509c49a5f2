"""The lecture's training loop."""


def mse_loss(ypred, ys):
    total = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    return total / len(ys)


def sgd_step(parameters, lr):
    for p in parameters:
        p.data += -lr * p.grad


def train(model, xs, ys, steps, lr):
    losses = []
    for k in range(steps):
        # forward pass
        ypred = [model(x) for x in xs]
        loss = mse_loss(ypred, ys)

        # backward pass
        model.zero_grad()
        loss.backward()

        # update
        sgd_step(model.parameters(), lr)
        losses.append(loss.data)
    return losses
