"""The reference solution gives the lecture's numbers, scales, and runs micrograd code."""

import math
import random

import pytest

from reference import MLP, Layer, Module, Neuron, Value
from reference.derivatives import lecture_gradients, neuron_gradients, numerical_derivative
from reference.train import mse_loss, sgd_step, train

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_lecture_expression():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    assert L.data == -8.0
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)


def test_lecture_neuron():
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert x1.grad == pytest.approx(-1.5) and w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5) and w2.grad == 0.0


def test_neuron_with_tanh_spelled_out_in_exp_agrees():
    x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    n = x1 * w1 + b
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert x1.grad == pytest.approx(-1.5) and w1.grad == pytest.approx(1.0)


def test_a_plus_a_accumulates():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0


def test_every_op_matches_its_numerical_derivative():
    ops = {
        "add": lambda x, y: x + y, "radd": lambda x, y: 2.5 + x * y, "mul": lambda x, y: x * y,
        "sub": lambda x, y: x - y, "rsub": lambda x, y: 1.5 - x * y, "div": lambda x, y: x / y,
        "rdiv": lambda x, y: 2.0 / (x * y), "pow": lambda x, y: x ** 3 + y ** -1.5,
        "neg": lambda x, y: -x * y, "tanh": lambda x, y: (x * y).tanh(), "exp": lambda x, y: (x * y).exp(),
        "log": lambda x, y: (x * y).log(), "relu": lambda x, y: (x - y).relu() + (y - x).relu(),
    }
    for name, f in ops.items():
        x, y = Value(0.7), Value(1.3)
        out = f(x, y)
        out.backward()
        for wrt, leaf in enumerate((x, y)):
            expected = numerical_derivative(lambda *v: f(*map(Value, v)).data, 0.7, 1.3, wrt=wrt)
            assert leaf.grad == pytest.approx(expected, rel=1e-5, abs=1e-7), (name, wrt)


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_operands_are_not_modified_and_prev_holds_them():
    a, b = Value(2.0), Value(3.0)
    for out in (a + b, a * b):
        assert set(out._prev) == {a, b}
    assert set((a ** 2)._prev) == {a}
    assert (a.data, b.data, a.grad, b.grad) == (2.0, 3.0, 0.0, 0.0)


def test_deep_chain_of_a_million_nodes_backpropagates():
    x = y = Value(0.5)
    for _ in range(1_000_000):
        y = y.tanh()
    y.backward()
    assert 0 < x.grad < 1


def test_backward_calls_each_node_once_in_reverse_topological_order():
    a = Value(1.5)
    b = a * a
    c = b + a
    d = c * b
    order = []
    for v in (a, b, c, d):  # each node's own rule, wrapped as a custom op's closure that logs the call
        v._backward = lambda v=v, rule=v._backward: (order.append(v), rule())
    d.backward()
    assert order == [d, c, b, a]
    assert a.grad == pytest.approx(numerical_derivative(lambda x: ((x * x + x) * (x * x)), 1.5))


def mean(values):
    """An op made outside the class, micrograd style: a node of its own with its own closure."""
    total = sum(values)
    out = Value(total.data / len(values), (total,), 'mean')

    def _backward():
        total.grad += out.grad / len(values)
    out._backward = _backward
    return out


def test_a_custom_op_made_the_lecture_way_backpropagates():
    a, b = Value(2.0), Value(-1.0)
    loss = mean([a * a, b * 3.0, a])
    assert loss.data == pytest.approx(1.0)
    loss.backward()
    assert (a.grad, b.grad) == (pytest.approx(5 / 3), pytest.approx(1.0))


def test_a_custom_closure_replaces_the_rule_of_its_op_name():
    a = Value(3.0)
    out = Value(a.data * 2, (a,), '*')  # named like a primitive, ruled by its own closure
    out._backward = lambda: setattr(a, "grad", a.grad + 2 * out.grad)
    out.backward()
    assert a.grad == 2.0


def test_every_node_has_a_callable_backward_that_applies_its_rule():
    a, b = Value(2.0), Value(-3.0)
    out = a * b
    out.grad = 0.5
    out._backward()
    a._backward()  # a leaf's does nothing
    assert (a.grad, b.grad) == (-1.5, 1.0)


def test_training_with_a_custom_mean_loss_matches_the_built_in_one():
    random.seed(7)
    net = MLP(3, [4, 1])
    params = [p.data for p in net.parameters()]
    losses = []
    for _ in range(3):
        loss = mean([(net(x) - y) ** 2 for x, y in zip(XS, YS)])
        net.zero_grad()
        loss.backward()
        sgd_step(net.parameters(), 0.1)
        losses.append(loss.data)
    for p, data in zip(net.parameters(), params):
        p.data = data
    assert train(net, XS, YS, steps=3, lr=0.1) == pytest.approx(losses)


def test_gradients_from_two_graphs_sharing_a_leaf_add_up():
    w = Value(2.0)
    (w * 3.0).backward()
    (w * 4.0).backward()
    assert w.grad == 7.0


def test_hand_worked_gradients_match_backprop():
    values = dict(a=2.0, b=-3.0, c=10.0, f=-2.0)
    nodes = {k: Value(v) for k, v in values.items()}
    nodes["e"] = nodes["a"] * nodes["b"]
    nodes["d"] = nodes["e"] + nodes["c"]
    nodes["L"] = nodes["d"] * nodes["f"]
    nodes["L"].backward()
    assert lecture_gradients() == pytest.approx({k: v.grad for k, v in nodes.items()})

    n = {k: Value(v) for k, v in dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432).items()}
    n["n"] = n["x1"] * n["w1"] + n["x2"] * n["w2"] + n["b"]
    n["o"] = n["n"].tanh()
    n["o"].backward()
    assert neuron_gradients() == pytest.approx({k: v.grad for k, v in n.items()}, rel=1e-9, abs=1e-12)


def test_numerical_derivative_is_central():
    # for x**3 at 1 the central difference's error is h**2, the forward one's 3h
    assert numerical_derivative(lambda x: x ** 3, 1.0, h=1e-2) == pytest.approx(3.0001, abs=1e-9)
    assert numerical_derivative(lambda x, y: x * y ** 2, 2.0, 3.0, wrt=1) == pytest.approx(12.0)


def test_mlp_shapes_and_parameter_count():
    random.seed(0)
    net = MLP(3, [4, 4, 1])
    assert len(net.parameters()) == 41
    assert isinstance(net([1.0, 2.0, 3.0]), Value)
    assert isinstance(MLP(2, [3, 1, 1])([1.0, 2.0]), Value)
    assert len(Layer(3, 2)([1.0, 2.0, 3.0])) == 2
    assert Module().parameters() == []


def test_seeded_networks_draw_weights_then_bias():
    random.seed(42)
    neuron = Neuron(3)
    random.seed(42)
    draws = [random.uniform(-1, 1) for _ in range(4)]
    assert [p.data for p in neuron.parameters()] == draws


def test_linear_neuron_and_zero_grad():
    neuron = Neuron(2, nonlin=False)
    out = neuron([1.0, 2.0])
    assert out.data == pytest.approx(neuron.w[0].data + 2 * neuron.w[1].data + neuron.b.data)
    out.backward()
    assert any(p.grad for p in neuron.parameters())
    neuron.zero_grad()
    assert all(p.grad == 0.0 for p in neuron.parameters())


def test_training_on_the_lecture_dataset_drives_the_loss_down():
    random.seed(1337)
    net = MLP(3, [4, 4, 1])
    losses = train(net, XS, YS, steps=60, lr=0.1)
    assert len(losses) == 60
    assert losses[-1] < 0.05 < losses[0]
    assert all(math.isfinite(loss) for loss in losses)


def test_mse_is_a_mean_and_sgd_steps_downhill():
    loss = mse_loss([Value(1.0), Value(3.0)], [0.0, 0.0])
    assert loss.data == 5.0
    p = Value(1.0)
    p.grad = 2.0
    sgd_step([p], 0.1)
    assert p.data == pytest.approx(0.8)
