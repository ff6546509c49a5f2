"""Stage 5: training, run on the reference engine and network.

The graded ``train.py`` gets the reference's ``Value`` and ``MLP``, so only
the loss, the update and the loop are graded here. Training starts from the
same parameters as the reference's and must follow the same loss trajectory.
"""

import math

import pytest
from hypothesis import example, given

from grader.worker.common import neurons_of, set_parameters
from grader.feedback import CheckFailed
from grader.sandbox import RaisedException

from .fatal import StopOnFatal
from .judge import all_close, answer, close, expected, is_number, raised, show
from .properties import TRAINING, grading_settings, trainings

pytestmark = pytest.mark.stage("5")
TRAIN = dict(modules=("train",), from_reference=("engine", "nn"))
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]  # the lecture's dataset
YS = [1.0, -1.0, -1.0, 1.0]
LECTURE_PARAMS = [[round(math.cos(5 * i + j), 3) for j in range(size + 1)]
                  for i, size in enumerate([3] * 4 + [4] * 4 + [4])]
LECTURE_PARAMS_TEXT = "neuron i's w + [b] = [round(cos(5*i + j), 3) for j in ...], neurons counted across layers"


@pytest.mark.points(3)
def test_mse_loss(sandbox, ref):
    """mse_loss is the mean of (yp - y)**2, a Value that backpropagates to the predictions."""
    predictions, targets = [0.5, -0.2, 0.9, 0.1], [1.0, -1.0, -1.0, 1.0]
    case = f"mse_loss([Value(p) for p in {predictions}], {targets})"
    want = expected(ref, "mse", predictions=predictions, targets=targets)
    got = answer(sandbox, "mse", "mse_loss", case, predictions=predictions, targets=targets, **TRAIN)
    if not got["value"]:
        raise CheckFailed(f"mse_loss returned {show(got['data'])}, not a Value", expected="a Value",
                          got=show(got["data"]), hint="loss-not-value", case=case)
    errors = [(p - y) ** 2 for p, y in zip(predictions, targets)]
    if not close(got["data"], want["data"]):
        hint = "sum-not-mean" if close(got["data"], sum(errors)) else "mse-formula"
        raise CheckFailed(f"{case} = {show(got['data'])}, expected {show(want['data'])}", expected=want["data"],
                          got=got["data"], hint=hint, case=case)
    if not all_close(got["grads"], want["grads"]):
        unreached = all_close(got["grads"], [0.0] * len(predictions))
        raise CheckFailed(f"after backward() on the loss, the predictions' grads are {show(got['grads'])}, "
                          f"expected {show(want['grads'])}", expected=show(want["grads"]),
                          got=show(got["grads"]), hint="loss-not-value" if unreached else "loss-gradient",
                          case=case)


@pytest.mark.points(3)
def test_sgd_step(sandbox, ref):
    """sgd_step moves each parameter against its gradient: p.data -= lr * p.grad."""
    data, grads, lr = [0.5, -1.0, 2.0], [0.1, -0.4, 0.0], 0.05
    case = f"parameters with data {data} and grads {grads}; sgd_step(parameters, lr={lr})"
    want = expected(ref, "sgd", data=data, grads=grads, lr=lr)
    got = answer(sandbox, "sgd", "sgd_step", case, data=data, grads=grads, lr=lr, **TRAIN)
    if not all_close(got["data"], want["data"]):
        uphill = all_close(got["data"], [d + lr * g for d, g in zip(data, grads)])
        raise CheckFailed(f"after sgd_step, the data is {show(got['data'])}, expected {show(want['data'])}"
                          + (": each parameter moved uphill, along its gradient" if uphill else ""),
                          expected=show(want["data"]), got=show(got["data"]),
                          hint="gradient-ascent" if uphill else "sgd-update", case=case)


def simulate(ref, mistake, nin, nouts, params, xs, ys, steps, lr):
    """The losses a training loop with a known mistake records, on the reference engine."""
    model = ref.nn.MLP(nin, list(nouts))
    set_parameters(neurons_of(model, "mlp"), params)
    losses = []
    for _ in range(steps):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        if mistake != "sum-not-mean":
            loss = loss / len(ys)
        if mistake not in ("no-zero-grad", "zero-grad-placement"):
            model.zero_grad()
        loss.backward()
        if mistake == "zero-grad-placement":
            model.zero_grad()
        for p in model.parameters():
            p.data += (lr if mistake == "gradient-ascent" else -lr) * p.grad
        losses.append(loss.data)
    return losses


def training_hint(sandbox, ref, setup, got, want):
    """Which known mistake gives the losses ``got``; the generic hint if none does."""
    if len(got) == len(want) and len(want) > 1 and all_close(got[:-1], want[1:]):
        return "loss-recorded"
    for mistake in ("no-zero-grad", "zero-grad-placement", "gradient-ascent", "sum-not-mean"):
        if all_close(got, simulate(ref, mistake, *setup)):
            return mistake
    if close(got[0], want[0]) and loss_gradient_off(sandbox, ref):
        return "loss-gradient"
    return "training-loop"


def loss_gradient_off(sandbox, ref):
    """Whether the graded ``mse_loss`` has the right value and the wrong gradient (a rule of its own off)."""
    probe = dict(predictions=[0.5, -0.2, 0.9, 0.1], targets=[1.0, -1.0, -1.0, 1.0])
    want = expected(ref, "mse", **probe)
    try:
        got = sandbox.call("mse", **probe, **TRAIN)
    except RaisedException:
        return False
    return got["value"] and close(got["data"], want["data"]) and not all_close(got["grads"], want["grads"])


def check_training(sandbox, ref, nin, nouts, params, xs, ys, steps, lr, params_text=None):
    """The graded ``train`` from the given parameters follows the reference's losses and ends at its parameters."""
    setup = (nin, nouts, params, xs, ys, steps, lr)
    params_text = params_text or f"each neuron's w + [b] = {params}"
    case = f"model = MLP({nin}, {nouts}) with {params_text}; train(model, xs={xs}, ys={ys}, steps={steps}, lr={lr})"
    args = dict(nin=nin, nouts=nouts, params=params, xs=xs, ys=ys, steps=steps, lr=lr)
    want = expected(ref, "training", **args)
    try:
        got = sandbox.call("training", **args, **TRAIN)
    except RaisedException as error:
        no_graph = "has no attribute 'backward'" in error.message
        raise raised(error, "train", "loss-not-value" if no_graph else "raised-exception", case) from None
    losses = got["losses"]
    if not isinstance(losses, list) or not all(is_number(v) for v in losses):
        what = (f"a list of {' and '.join(sorted({v['not_a_number'] for v in losses if not is_number(v)}))} objects"
                if isinstance(losses, list) else show(losses))
        raise CheckFailed(f"train should return a list of {steps} floats, each step's loss.data; yours returned "
                          f"{what}", expected=f"{steps} floats", got=what, hint="loss-recorded", case=case)
    if len(losses) != steps:
        raise CheckFailed(f"train returned {len(losses)} losses for {steps} steps", expected=steps,
                          got=len(losses), hint="loss-recorded", case=case)
    if not all_close(losses, want["losses"]):
        step = next(i for i, (mine, theirs) in enumerate(zip(losses, want["losses"])) if not close(mine, theirs))
        raise CheckFailed(f"train's loss at step {step + 1} of {steps} is {show(losses[step])}, expected "
                          f"{show(want['losses'][step])}"
                          + ("" if not step else " (step 1 matches)" if step == 1 else f" (steps 1 to {step} match)")
                          + f"; yours: {show(losses)}, the reference's: {show(want['losses'])}",
                          expected=want["losses"][step], got=losses[step],
                          hint=training_hint(sandbox, ref, setup, losses, want["losses"]), case=case)
    if not all_close(got["params"], want["params"]):
        raise CheckFailed("the losses match, but the parameters after training differ: "
                          f"{show(got['params'])}, expected {show(want['params'])}",
                          expected=show(want["params"]), got=show(got["params"]), hint="training-loop",
                          case=case)


@pytest.mark.points(5)
def test_train_lecture(sandbox, ref):
    """Training MLP(3, [4, 4, 1]) on the lecture's four examples for 15 steps gives the reference's losses."""
    check_training(sandbox, ref, 3, [4, 4, 1], LECTURE_PARAMS, XS, YS, steps=15, lr=0.05,
                   params_text=LECTURE_PARAMS_TEXT)


@pytest.mark.points(4)
@grading_settings(max_examples=5)
@given(training=trainings())
@example(training=TRAINING)
def test_train_generated(sandbox, ref, training):
    """Generated networks, datasets, step counts and learning rates: the same losses and parameters."""
    check_training(StopOnFatal(sandbox), ref, *training)
