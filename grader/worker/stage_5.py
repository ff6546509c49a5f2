"""Stage 5's scenarios: the submission's ``train.py``, run on the reference engine and network."""

try:  # the grading process: grader.worker.stage_5
    from .common import neurons_of, num, set_parameters
except ImportError:  # the worker: a top-level module beside common.py
    from common import neurons_of, num, set_parameters


def mse(impl, predictions, targets):
    """``mse_loss`` of Values holding ``predictions``: its data, and each prediction's grad after backward."""
    Value = impl.engine.Value
    ypred = [Value(p) for p in predictions]
    loss = impl.train.mse_loss(ypred, list(targets))
    if not isinstance(loss, Value):
        return {"value": False, "data": num(loss)}
    loss.backward()
    return {"value": True, "data": num(loss.data), "grads": [num(p.grad) for p in ypred]}


def sgd(impl, data, grads, lr):
    """``sgd_step`` on Values with the given data and grads: their data and grads afterwards."""
    Value = impl.engine.Value
    params = []
    for d, g in zip(data, grads):
        p = Value(d)
        p.grad = g
        params.append(p)
    impl.train.sgd_step(params, lr)
    return {"data": [num(p.data) for p in params], "grads": [num(p.grad) for p in params]}


def training(impl, nin, nouts, params, xs, ys, steps, lr):
    """``train`` on an MLP with the given parameters: the losses it returns and the final parameters."""
    model = impl.nn.MLP(nin, list(nouts))
    neurons = neurons_of(model, "mlp")
    set_parameters(neurons, params)
    losses = impl.train.train(model, [list(x) for x in xs], list(ys), steps, lr)
    if not isinstance(losses, (list, tuple)):
        return {"losses": num(losses), "params": None}
    return {"losses": [num(loss) for loss in losses],
            "params": [[num(w.data) for w in n.w] + [num(n.b.data)] for n in neurons]}
