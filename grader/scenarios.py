"""Which worker module holds each scenario a check can ask for, and which modules a worker loads.

A check names a scenario (``sandbox.call("forward", ...)``); the sandbox runs
it in a worker that loads that scenario's module and the others of its group
(``WORKERS``) from ``grader/worker/``, and the check runs the very same
function here, on the reference (``function(name)(ref, **args)``), for the
expected answer.
"""

import functools
import importlib
import types

MODULES = ("stage_0", "stage_1", "stage_2", "stage_3", "stage_4", "stage_5", "bonus", "selftest")
# The modules one worker loads together. No worker may hold the answer to a stage it grades:
# stage 2's module holds the grader's topological walk, what stage 3 asks for, so stage 3 has a
# worker of its own; stages 0 to 2 and the bonus hold no answer to one another and share one,
# which spares a grade the start of three more processes.
WORKERS = (("stage_0", "stage_1", "stage_2", "bonus"), ("stage_3",), ("stage_4",), ("stage_5",), ("selftest",))


@functools.cache
def _index():
    index = {}
    for module_name in MODULES:
        module = importlib.import_module(f"grader.worker.{module_name}")
        for name, value in vars(module).items():
            if (isinstance(value, types.FunctionType) and value.__module__ == module.__name__
                    and not name.startswith("_")):
                index.setdefault(name, (module_name, value))
    return index


def module_of(name):
    """The worker module that holds scenario ``name``; LookupError for a name no module has."""
    try:
        return _index()[name][0]
    except KeyError:
        raise LookupError(f"no scenario named {name!r}") from None


def function(name):
    """Scenario ``name`` itself, to run on the reference in this process."""
    module_of(name)
    return _index()[name][1]


def worker_of(name):
    """The modules of the worker that runs scenario ``name`` (LookupError for a name no module has)."""
    module = module_of(name)
    return next(group for group in WORKERS if module in group)
