"""Stage 3: backpropagation, the graded ``backward()`` on graphs whose rules are the grader's.

Graphs are built with the graded ``Value`` constructor only, each node
carrying a correct ``_backward`` closure of the grader's that logs when it
runs and what grad its node had then. So this stage does not rest on the
graded ops, and the log shows the order, the seed and the visits.
"""

import pytest
from hypothesis import example, given

from grader import exprs
from grader.feedback import CheckFailed
from grader.sandbox import Crashed, RaisedException, TimedOut

from .fatal import StopOnFatal
from .graphs import backprop_payload, entry_names
from .judge import close, error_type, expected, raised, require_number, show
from .properties import LECTURE_EXPRESSION, RICH_EXPRESSION, expressions, grading_settings

pytestmark = pytest.mark.stage("3")
ENGINE = dict(modules=("engine",))
DEEP = 5_000  # five times Python's default recursion limit of 1000
LINEAR_SIZES, TIMING_REPEATS = (100, 1000), 3
# backward() is timed against a plain linear walk of the same tree (every node's
# _backward called once, in the order the tree was built: no search), in turns,
# so a busy machine slows both alike. A linear backward() keeps about the same
# ratio to it at both sizes (2 to 25, by style); a quadratic one falls further
# behind as the tree grows (about 12 then 80 times slower). Failing takes both a
# large ratio and one that grew: noise never does both.
MAX_SLOWDOWN, MAX_GROWTH = 30.0, 3.0
TIMING_TIMEOUT = 20.0
TIMING_ROUNDS = 3  # measured again before failing: only code that is slower every time fails


def backprop_hint(spec, got):
    """The likely mistake, read from the log of which closures ran, in what order, seeing what grad."""
    n_in, output = len(spec["inputs"]), len(spec["inputs"]) + len(spec["nodes"]) - 1
    calls = {}
    for i, seen in got["log"]:
        calls.setdefault(i, []).append(seen)
    if not close(got["grads"][output], 1.0) or not close(calls.get(output, [1.0])[0], 1.0):
        return "no-seed"
    if any(len(calls.get(i, ())) > 1 for i in range(len(got["grads"]))):
        return "visit-once"
    if any(i not in calls for i in range(n_in, output + 1)):
        return "incomplete-traversal"
    if any(not close(seen[0], got["grads"][i]) for i, seen in calls.items() if i >= n_in):
        return "not-reversed"
    return "backward-steps"


def check_backprop(sandbox, ref, spec, inputs, judge_log=None):
    """Every node's grad after the graded ``backward()``, against the reference's.

    ``judge_log(got)`` looks at the call log first. One call only: a
    ``backward()`` that walks a set may visit in another order each run.
    """
    case = exprs.describe(spec, inputs)
    graph = exprs.backprop_data(spec, inputs)
    want = expected(ref, "backprop", spec=spec, **graph)
    try:
        got = sandbox.call("backprop", spec=spec, **graph, **ENGINE)
    except RaisedException as error:
        raise raised(error, "backward()", "recursion-limit" if error_type(error) == "RecursionError"
                     else "raised-exception", case) from None
    if judge_log:
        judge_log(got, case)
    n_in, names = len(spec["inputs"]), entry_names(spec)
    output = len(names) - 1
    for i in [output] + list(range(n_in)) + list(range(output - 1, n_in - 1, -1)):
        what = "the output's grad" if i == output else f"{names[i]}.grad" if i < n_in else f"the grad of {names[i]}"
        require_number(got["grads"][i], what, "backward-steps", case)
        if not close(got["grads"][i], want["grads"][i]):
            raise CheckFailed(f"after backward(), {what} is {show(got['grads'][i])}, expected "
                              f"{show(want['grads'][i])}", expected=want["grads"][i], got=got["grads"][i],
                              hint=backprop_hint(spec, got), case=case,
                              graph=backprop_payload(spec, inputs, got, want))
    return got


@pytest.mark.points(4)
def test_lecture_backprop(sandbox, ref):
    """backward() on the lecture's L = (a*b + c)*f gives a.grad = 6, b.grad = -4, c.grad = -2, f.grad = 4."""
    check_backprop(sandbox, ref, *LECTURE_EXPRESSION)


@pytest.mark.points(2)
def test_seed(sandbox, ref):
    """backward() starts from self.grad = 1.0, before any rule runs."""
    def seeded_first(got, case):
        first = next((seen for i, seen in got["log"] if i == 2), None)
        if first is not None and not close(first, 1.0):
            raise CheckFailed(f"the output's _backward ran while its grad was {show(first)}: set "
                              "self.grad = 1.0 before walking the graph", expected=1.0, got=first,
                              hint="no-seed", case=case)

    check_backprop(sandbox, ref, exprs.parse("a*b", "ab"), [3.0, -2.0], judge_log=seeded_first)


# out = (a*b + a) * tanh(a*b): e = a*b feeds two nodes, so its grad is complete only after both ran
SHARED = {"inputs": ["a", "b"], "nodes": [["mul", [0, 1], None], ["add", [2, 0], None], ["tanh", [2], None],
                                          ["mul", [3, 4], None]]}


@pytest.mark.points(3)
def test_reverse_topological_order(sandbox, ref):
    """Each node's _backward runs only once its grad is complete: after every node that uses it."""
    def complete_when_run(got, case):
        names = entry_names(SHARED)
        for i, seen in got["log"]:
            if i >= len(SHARED["inputs"]) and not close(seen, got["grads"][i]):
                raise CheckFailed(f"the _backward of {names[i]} ran when its grad was {show(seen)}, before it "
                                  f"was complete ({show(got['grads'][i])})", expected=got["grads"][i], got=seen,
                                  hint=backprop_hint(SHARED, got), case=case)

    check_backprop(sandbox, ref, SHARED, [0.5, -1.5], judge_log=complete_when_run)


def ladder(rungs):
    """x = a*b, then ``rungs`` times x = tanh((x + 0.5)*x): each x used twice, once directly, once via x + 0.5.

    A walk that does not remember visited nodes reaches such an x twice, in
    whichever order it meets a node's children, so it shows on every run.
    """
    nodes, x = [["mul", [0, 1], None]], 2
    for _ in range(rungs):
        base = 2 + len(nodes)
        nodes += [["addk", [x], 0.5], ["mul", [base, x], None], ["tanh", [base + 1], None]]
        x = base + 2
    return {"inputs": ["a", "b"], "nodes": nodes}


LADDER = ladder(12)


@pytest.mark.points(3)
def test_each_backward_once(sandbox, ref):
    """backward() calls the _backward of every node below the output exactly once."""
    def each_once(got, case):
        counts = [0] * len(got["grads"])
        for i, _ in got["log"]:
            counts[i] += 1
        names = entry_names(LADDER)
        for i in range(len(counts) - 1, -1, -1):
            internal = i >= len(LADDER["inputs"])
            if counts[i] > 1 or (internal and counts[i] == 0):
                raise CheckFailed(f"the _backward of {names[i]} ran {counts[i]} times", expected=1, got=counts[i],
                                  hint="visit-once" if counts[i] > 1 else "incomplete-traversal", case=case)

    check_backprop(sandbox, ref, LADDER, [0.3, -0.7], judge_log=each_once)


@pytest.mark.points(2)
def test_accumulates_across_graphs(sandbox, ref):
    """Two graphs sharing a leaf: backward() on each adds to the leaf's grad and never resets it."""
    case = "x, y, z = 3.0, -2.0, 4.0 with grads at 0.5; g1 = x*y; g2 = x + z; g1.backward(); g2.backward()"
    want = expected(ref, "shared_leaves", preset=0.5)
    try:
        got = sandbox.call("shared_leaves", preset=0.5, **ENGINE)
    except RaisedException as error:
        raise raised(error, "backward()", "raised-exception", case) from None
    untouched = all(close(got[name], 0.5) for name in ("x", "y", "z"))
    for name in ("x", "y", "z"):
        if not close(got[name], want[name]):
            hint = ("no-seed" if untouched else "resets-gradients" if close(got["z"], 1.0) or close(got["x"], 1.0)
                    else "backward-steps")
            raise CheckFailed(f"{name}.grad is {show(got[name])}, expected {show(want[name])} (what it had, "
                              "plus each graph's contribution)", expected=want[name], got=got[name],
                              hint=hint, case=case)


@pytest.mark.points(2)
def test_deep_chain(sandbox, ref):
    """backward() on a chain 5,000 nodes deep, far past Python's recursion limit."""
    case = f"x0 = Value(0.0); x{DEEP} = a chain of {DEEP} additions on it; x{DEEP}.backward()"
    try:
        got = sandbox.call("deep_chain", n=DEEP, **ENGINE)
    except RaisedException as error:
        hint = "recursion-limit" if error_type(error) == "RecursionError" else "raised-exception"
        raise raised(error, "backward() on a deep chain", hint, case) from None
    except Crashed as error:  # a recursion limit raised past what the C stack holds
        raise CheckFailed(f"backward() on a deep chain ended the process: {error.message}",
                          expected="x0.grad = 1.0", got="a crash", hint="recursion-limit", case=case) from None
    calls = got["calls"]
    internal = [i for i in calls if i]
    if internal != list(range(DEEP, 0, -1)) or not close(got["leaf_grad"], 1.0):
        hint = ("visit-once" if len(internal) > len(set(internal)) else
                "incomplete-traversal" if len(internal) < DEEP else
                "not-reversed" if internal != list(range(DEEP, 0, -1)) else
                "no-seed" if close(got["leaf_grad"], 0.0) else "backward-steps")
        raise CheckFailed(f"after backward(), x0.grad is {show(got['leaf_grad'])}, expected 1.0",
                          expected=1.0, got=got["leaf_grad"], hint=hint, case=case)


@pytest.mark.points(1)
def test_linear_time(sandbox, ref):
    """backward() takes time proportional to the graph's size, like the grader's own walk of it."""
    small, large = LINEAR_SIZES
    case = f"backward() on balanced trees of sums over {small} and {large} leaves, timed against " \
           "a linear walk of the same trees (every node's _backward called once, in the order the trees were built)"
    for _ in range(TIMING_ROUNDS):  # a busy machine can fake the pattern once, not every round
        try:
            times = sandbox.call("backward_timing", sizes=list(LINEAR_SIZES), repeats=TIMING_REPEATS,
                                 timeout=TIMING_TIMEOUT, **ENGINE)
        except RaisedException as error:
            raise raised(error, "backward()", "raised-exception", case) from None
        except TimedOut:
            raise CheckFailed(f"backward() on a tree of {2 * large} nodes took longer than {TIMING_TIMEOUT:g} s",
                              expected="a few milliseconds", got=f"over {TIMING_TIMEOUT:g} s",
                              hint="quadratic-topo", case=case) from None
        slowdown = [yours / max(grader, 1e-9) for yours, grader in zip(times["yours"], times["grader"])]
        if not (slowdown[1] > MAX_SLOWDOWN and slowdown[1] > MAX_GROWTH * slowdown[0]):
            return
    # no measured numbers in the verdict: the same code must get the same report every run
    raise CheckFailed(f"your backward() falls behind a linear walk of the same tree as the tree grows, "
                      f"from {2 * small} to {2 * large} nodes: its time grows faster than the graph",
                      expected=f"at most {MAX_SLOWDOWN:g} times a linear walk's time",
                      got="more, and more the larger the graph", hint="quadratic-topo", case=case)


@pytest.mark.points(3)
@grading_settings(max_examples=12)
@given(example=expressions(tuple(exprs.OPS)))
@example(example=RICH_EXPRESSION)
def test_backprop_expressions(sandbox, ref, example):
    """Generated graphs with shared subexpressions: every node's grad after backward()."""
    check_backprop(StopOnFatal(sandbox), ref, *example)
