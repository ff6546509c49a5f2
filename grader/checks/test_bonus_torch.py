"""Bonus: the graded engine agrees with PyTorch, when PyTorch is installed (worth no points).

The graded engine runs end to end here, ops and ``backward()`` together, as
a user runs it; PyTorch, in this process, computes the same expressions in
float64.
"""

import pytest
from hypothesis import example, given

from grader import exprs
from grader.feedback import CheckFailed
from grader.sandbox import RaisedException
from grader.worker.common import build

from .fatal import StopOnFatal
from .judge import close, exception_hint, raised, require_number, show
from .properties import LECTURE_NEURON, RICH_EXPRESSION, expressions, grading_settings

pytestmark = pytest.mark.stage("bonus")
ENGINE = dict(modules=("engine",))


@pytest.fixture(scope="module")
def torch():
    try:
        import torch
    except ModuleNotFoundError:
        pytest.skip("optional, 0 points: it needs PyTorch, a download of several GB "
                    "(see the bonus page before installing it)")
    except Exception as error:  # installed without the libraries it needs
        pytest.skip(f"PyTorch does not import here ({type(error).__name__}: {error})")
    return torch


def torch_answer(torch, spec, inputs):
    """The output's value and every input's gradient, by PyTorch's autograd in float64."""
    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in inputs]
    out = build(spec, leaves)[-1]
    out.backward()
    return {"data": out.item(), "grads": [leaf.grad.item() if leaf.grad is not None else 0.0 for leaf in leaves]}


def check_against_torch(sandbox, torch, spec, inputs):
    case = exprs.describe(spec, inputs)
    want = torch_answer(torch, spec, inputs)
    try:
        got = sandbox.call("gradients", spec=spec, inputs=inputs, **ENGINE)
    except RaisedException as error:
        raise raised(error, "building it and calling backward()",
                     exception_hint(error, [op for op, _, _ in spec["nodes"]]), case) from None
    require_number(got["data"], "the output's data", "torch-disagrees", case)
    if not close(got["data"], want["data"]):
        raise CheckFailed(f"your output is {show(got['data'])}, PyTorch's {show(want['data'])}",
                          expected=want["data"], got=got["data"], hint="torch-disagrees", case=case)
    for name, mine, theirs in zip(spec["inputs"], got["grads"], want["grads"]):
        if not close(mine, theirs):
            raise CheckFailed(f"your {name}.grad = {show(mine)}, PyTorch's {show(theirs)}", expected=theirs,
                              got=mine, hint="torch-disagrees", case=case)


@pytest.mark.points(0)
def test_lecture_neuron_matches_torch(sandbox, torch):
    """The lecture's tanh neuron: the same output and gradients as PyTorch."""
    check_against_torch(sandbox, torch, *LECTURE_NEURON)


@pytest.mark.points(0)
@grading_settings(max_examples=10)
@given(example=expressions(tuple(exprs.OPS)))
@example(example=RICH_EXPRESSION)
def test_expressions_match_torch(sandbox, torch, example):
    """Generated expressions: the same output and gradients as PyTorch."""
    check_against_torch(StopOnFatal(sandbox), torch, *example)
