"""Expression specs: the formula a student is shown computes exactly what the grader computed."""

import math

import pytest
from hypothesis import given

from grader import exprs
from grader.checks.properties import RICH_EXPRESSION, expressions, grading_settings

FUNCTIONS = {"tanh": math.tanh, "exp": math.exp, "log": math.log, "relu": lambda x: max(0.0, x)}


def retyped(spec, inputs):
    """What Python gives for the rendered formula (its ``where`` definitions first), as a student would retype it."""
    text = exprs.render(spec, head=False)
    output, _, definitions = text.partition("  where ")
    names = dict(FUNCTIONS, **dict(zip(spec["inputs"], inputs)))
    for definition in filter(None, definitions.split("; ")):
        name, _, formula = definition.partition(" = ")
        names[name] = eval(formula, {}, names)
    return eval(output, {}, names)


@grading_settings(max_examples=60)
@given(example=expressions(tuple(exprs.OPS), max_nodes=8))
def test_rendered_formula_computes_the_spec(example):
    spec, inputs = example
    assert math.isclose(retyped(spec, inputs), exprs.evaluate(spec, inputs)[-1], rel_tol=1e-12, abs_tol=1e-12)


@grading_settings(max_examples=60)
@given(example=expressions(tuple(exprs.OPS), max_nodes=8))
def test_a_formula_reads_back_into_the_same_values(example):
    spec, inputs = example
    text = exprs.render(spec, head=False)
    if "where" not in text:  # parse reads plain formulas: the grader's fixed cases
        again = exprs.parse(text, spec["inputs"])
        assert exprs.evaluate(again, inputs)[-1] == exprs.evaluate(spec, inputs)[-1]


def test_rich_example_uses_every_op():
    spec, inputs = RICH_EXPRESSION
    assert {op for op, _, _ in spec["nodes"]} == set(exprs.OPS)
    assert exprs.well_conditioned(spec, inputs)


def test_shared_nodes_are_named_once():
    spec = {"inputs": ["a", "b"], "nodes": [["mul", [0, 1], None], ["tanh", [2], None], ["add", [3, 2], None]]}
    assert exprs.describe(spec, [0.5, -1.0]) == "f(a, b) = tanh(e) + e  where e = a*b  at a=0.5, b=-1.0"
    assert exprs.labels(spec) == ["a", "b", "e = a*b", "tanh(e)", "tanh(e) + e"]


def test_prune_keeps_what_the_output_needs():
    spec = {"inputs": ["a", "b", "c"], "nodes": [["exp", [2], None], ["mul", [0, 0], None]]}
    assert exprs.prune(spec) == {"inputs": ["a"], "nodes": [["mul", [0, 0], None]]}
    assert exprs.kept_inputs(spec, [1.0, 2.0, 3.0]) == [1.0]


@pytest.mark.parametrize("formula, inputs", [("log(a)", [-1.0]), ("a/b", [1.0, 0.0]), ("a**0.5", [-4.0]),
                                             ("relu(a - 1.0)", [1.0]), ("exp(a)", [30.0]), ("tanh(a)", [25.0])])
def test_ill_conditioned_cases_are_never_generated(formula, inputs):
    assert not exprs.well_conditioned(exprs.parse(formula, "ab"[:len(inputs)]), inputs)
