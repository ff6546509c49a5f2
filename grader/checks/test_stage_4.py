"""Stage 4: the neural-network library, run on the reference engine.

The graded ``nn.py`` gets the reference's ``Value`` (so an unfinished engine
costs nothing here). Graded and reference models get identical parameters,
set through SPEC's attributes ``w``, ``b``, ``neurons`` and ``layers``, and
must give the same outputs and the same parameter grads.
"""

import math
from collections import Counter

import pytest
from hypothesis import example, given

from grader.feedback import CheckFailed
from grader.sandbox import RaisedException

from .fatal import StopOnFatal
from .judge import all_close, answer, error_type, expected, raised, show
from .properties import NETWORK, grading_settings, networks

pytestmark = pytest.mark.stage("4")
NN = dict(modules=("nn",), from_reference=("engine",))


def model_text(kind, args):
    name = {"neuron": "Neuron", "layer": "Layer", "mlp": "MLP"}[kind]
    if kind == "neuron" and len(args) > 1:
        return f"Neuron({args[0]}, nonlin={args[1]})"
    return f"{name}({', '.join(map(str, args))})"


def check_structure(sandbox, ref, kind, args):
    """Each neuron has as many weights as inputs, and a bias: the reference's shape."""
    model = model_text(kind, args)
    want = expected(ref, "structure", kind=kind, args=args)
    got = answer(sandbox, "structure", model, model, kind=kind, args=args, **NN)
    if got != want:
        missing_bias = -1 in got
        raise CheckFailed(f"{model} should have {len(want)} neuron(s) with {show(want)} weights each; "
                          f"yours has {len(got)} with {show(got)}" + (" (and no b)" if missing_bias else ""),
                          expected=str(want), got=str(got), hint="missing-bias" if missing_bias else "layer-sizes",
                          case=model)


def layers_of(kind, args, params):
    """The parameters grouped by layer, and whether each layer is tanh."""
    if kind == "neuron":
        return [params], [len(args) < 2 or bool(args[1])]
    if kind == "layer":
        return [params], [True]
    sizes, layers = list(args[1]), []
    for size in sizes:
        layers.append(params[:size])
        params = params[size:]
    return layers, [True] * len(sizes)


def output_hint(kind, args, params, x, got):
    """Which known mistake gives the outputs ``got``: tanh left out (or added), or the bias left out."""
    layers, tanh = layers_of(kind, args, params)

    def run(flip_tanh=False, bias=True):
        values = x
        for layer, nonlin in zip(layers, tanh):
            acts = [sum(w * v for w, v in zip(p[:-1], values)) + (p[-1] if bias else 0.0) for p in layer]
            values = [math.tanh(a) for a in acts] if nonlin != flip_tanh else acts
        return values

    for hint, outputs in (("nonlinearity", run(flip_tanh=True)), ("missing-bias", run(bias=False))):
        if all_close(got, outputs):
            return hint
    return "neuron-graph"


def width_one_diagnosis(error):
    """A width-1 layer's single Value handed to the next layer, which iterates over its inputs."""
    message = (getattr(error, "detail", None) or {}).get("message") or error.message
    return "width-one-hidden" if error_type(error) == "TypeError" and "'Value' object" in message else None


def check_network(sandbox, ref, kind, args, params, x, params_text=None):
    """Outputs and parameter grads of the graded model against the reference's, same parameters."""
    check_structure(sandbox, ref, kind, args)
    model = model_text(kind, args)
    params_text = params_text or f"each neuron's w + [b] = {params}"
    case = f"{model} with {params_text}, called on x = {x}"
    scenario_args = dict(kind=kind, args=args, params=params, x=x)
    want = expected(ref, "network", **scenario_args)
    width_one = kind == "mlp" and 1 in args[1][:-1]
    got = answer(sandbox, "network", f"{model}(x)", case, diagnose=width_one_diagnosis if width_one else None,
                 **scenario_args, **NN)
    if got["single"] != want["single"]:
        shape = "a single Value" if want["single"] else f"a list of {len(want['outputs'])} Values"
        raise CheckFailed(f"{model}(x) should return {shape}", expected=shape,
                          got="a single Value" if got["single"] else f"a list of {len(got['outputs'])}",
                          hint="single-output", case=case)
    if not all_close(got["outputs"], want["outputs"]):
        raise CheckFailed(f"{model}(x) gave {show(got['outputs'])}, expected {show(want['outputs'])}",
                          expected=show(want["outputs"]), got=show(got["outputs"]),
                          hint=output_hint(kind, args, params, x, got["outputs"]), case=case)
    if "grads" not in got or not all_close(got["grads"], want["grads"]):
        raise CheckFailed(f"after backward() on {model}(x), the parameters' grads are "
                          f"{show(got.get('grads', 'missing'))}, expected {show(want['grads'])}: the output "
                          "is not connected to every parameter", expected=show(want["grads"]),
                          got=show(got.get("grads", "no grads: the output is not a Value")),
                          hint="neuron-graph", case=case)


@pytest.mark.points(3)
def test_neuron(sandbox, ref):
    """Neuron(3) is tanh(w . x + b); Neuron(2, nonlin=False) is w . x + b."""
    check_network(sandbox, ref, "neuron", [3], [[0.5, -0.3, 0.8, 0.1]], [1.0, -2.0, 0.5])
    check_network(sandbox, ref, "neuron", [2, False], [[0.4, -0.7, 0.2]], [2.0, 1.0])


@pytest.mark.points(2)
def test_parameters(sandbox, ref):
    """parameters(): w + [b] per neuron, neurons in order, layers in order (MLP(3, [4, 4, 1]) has 41)."""
    for kind, args in (("neuron", [3]), ("layer", [2, 3]), ("mlp", [3, [4, 4, 1]])):
        model = model_text(kind, args)
        got = answer(sandbox, "parameter_order", f"{model}.parameters()", model, kind=kind, args=args, **NN)
        count, positions = got["count"], got["positions"]
        if got["nested"]:
            raise CheckFailed(f"{model}.parameters() should be one flat list of its {count} Values; yours holds "
                              "lists", expected=f"a list of {count} Values", got="a list of lists",
                              hint="flat-parameters", case=model)
        if positions != list(range(count)):
            neurons = 1 if kind == "neuron" else len(expected(ref, "structure", kind=kind, args=args))
            missing_bias = len(positions) == count - neurons
            raise CheckFailed(f"{model}.parameters() should list its {count} parameters, each neuron's w "
                              f"then b, in order; yours lists {len(positions)}"
                              + ("" if len(positions) != count else " in another order"),
                              expected=f"{count} parameters in order", got=f"positions {positions}",
                              hint="missing-bias" if missing_bias else "parameter-order", case=model)


@pytest.mark.points(2)
def test_layer(sandbox, ref):
    """Layer(3, 2) returns a list of its neurons' outputs; Layer(3, 1) returns the single Value."""
    check_network(sandbox, ref, "layer", [3, 2], [[0.5, -0.3, 0.8, 0.1], [-0.2, 0.9, 0.4, -0.6]],
                  [1.0, -2.0, 0.5])
    check_network(sandbox, ref, "layer", [3, 1], [[0.5, -0.3, 0.8, 0.1]], [1.0, -2.0, 0.5])


MLP_PARAMS = [[round(math.sin(7 * i + j), 3) for j in range(size + 1)]
              for i, size in enumerate([3] * 4 + [4] * 4 + [4])]
MLP_PARAMS_TEXT = "neuron i's w + [b] = [round(sin(7*i + j), 3) for j in ...], neurons counted across layers"


@pytest.mark.points(3)
def test_mlp(sandbox, ref):
    """MLP(3, [4, 4, 1]), the lecture's network: its output and every parameter's grad."""
    check_network(sandbox, ref, "mlp", [3, [4, 4, 1]], MLP_PARAMS, [2.0, 3.0, -1.0], params_text=MLP_PARAMS_TEXT)


@pytest.mark.points(1)
def test_width_one_hidden_layer(sandbox, ref):
    """MLP(2, [3, 1, 1]) works: a hidden layer of width 1 feeds a list to the next layer."""
    params = [[0.5, -0.3, 0.1], [0.2, 0.7, -0.4], [-0.6, 0.3, 0.8], [0.9, -0.5, 0.4, 0.2], [-0.7, 0.3]]
    check_network(sandbox, ref, "mlp", [2, [3, 1, 1]], params, [1.0, -1.5])


@pytest.mark.points(2)
def test_random_initialization(sandbox, ref):
    """After random.seed(s), the network's parameters are the reference's: uniform(-1, 1), w first, then b."""
    for kind, args, seed in (("neuron", [3], 7), ("mlp", [3, [4, 4, 1]], 1337)):
        model = f"random.seed({seed}); {model_text(kind, args)}"
        want = expected(ref, "random_init", kind=kind, args=args, seed=seed)
        got = answer(sandbox, "random_init", model, model, kind=kind, args=args, seed=seed, **NN)
        if not all_close(got, want):
            same_draws = Counter(show(v) for n in got for v in n) == Counter(show(v) for n in want for v in n)
            i = next((i for i, (mine, theirs) in enumerate(zip(got, want)) if not all_close(mine, theirs)),
                     min(len(got), len(want)))
            mine, theirs = (got[i] if i < len(got) else "missing"), (want[i] if i < len(want) else "none")
            raise CheckFailed(f"{model}: neuron {i} (counting across layers) drew w + [b] = {show(mine)}, "
                              f"expected {show(theirs)}"
                              + (" (the same numbers overall, in another order)" if same_draws else ""),
                              expected=show(theirs), got=show(mine), hint="init-order", case=model)


@pytest.mark.points(1)
def test_zero_grad(sandbox, ref):
    """zero_grad() sets every parameter's grad to 0.0 and leaves its data alone."""
    model = model_text("mlp", [2, [2, 1]])
    case = f"m = {model}; every parameter given a nonzero grad; m.zero_grad()"
    want = expected(ref, "zero_grad", kind="mlp", args=[2, [2, 1]])
    try:
        got = sandbox.call("zero_grad", kind="mlp", args=[2, [2, 1]], **NN)
    except RaisedException as error:
        nested = sandbox.call("parameter_order", kind="mlp", args=[2, [2, 1]], **NN)["nested"]
        raise raised(error, "zero_grad()", "flat-parameters" if nested else "raised-exception", case) from None
    if not all_close(got, want):
        weights_right = all(all_close(mine[:-1], theirs[:-1]) for mine, theirs in zip(got, want))
        raise CheckFailed(f"after zero_grad(), (data, grad) of each parameter is {show(got)}, "
                          f"expected {show(want)}" + (": every bias kept its grad" if weights_right else ""),
                          expected=show(want), got=show(got), hint="missing-bias" if weights_right else "zero-grad",
                          case=case)


@pytest.mark.points(1)
@grading_settings(max_examples=8)
@given(network=networks())
@example(network=NETWORK)
def test_network_shapes(sandbox, ref, network):
    """Generated MLP shapes, parameters and inputs: the outputs and every parameter's grad."""
    nin, nouts, params, x = network
    check_network(StopOnFatal(sandbox), ref, "mlp", [nin, nouts], params, x)
