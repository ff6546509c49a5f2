"""The student stubs teach, import cleanly, and never drift from the reference's API."""

import ast
import importlib.util
import inspect
import re
import sys

import pytest

import reference
from conftest import KIT_ROOT

MODULES = ("engine", "nn", "train", "derivatives")
SPEC_OPS = ("__add__ __radd__ __mul__ __rmul__ __neg__ __sub__ __rsub__ __truediv__ __rtruediv__ "
            "__pow__ tanh exp log relu backward").split()
PAGE_TITLES = {
    "0": "Stage 0: derivatives by hand", "1": "Stage 1: the forward pass",
    "2": "Stage 2: local backward rules", "3": "Stage 3: backpropagation",
    "4": "Stage 4: the neural-network library", "5": "Stage 5: training",
}


def load_package(folder, name):
    """Import a folder as a package under its own name, as the grader does."""
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return {m: importlib.import_module(f"{name}.{m}") for m in MODULES}


def public_api(module):
    """Public functions and classes defined in a module, with their public methods' signatures."""
    api = {}
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            methods = {m: str(inspect.signature(f)) for m, f in vars(obj).items()
                       if callable(f) and m != "__repr__"  # cosmetic: the reference's mirror micrograd's
                       and (not m.startswith("_") or (m.startswith("__") and m.endswith("__")))}
            api[name] = methods
        elif inspect.isfunction(obj):
            api[name] = str(inspect.signature(obj))
    return api


@pytest.fixture
def stubs(pristine_stubs):
    yield load_package(pristine_stubs, "pristine_student")
    for name in [n for n in sys.modules if n.startswith("pristine_student")]:
        del sys.modules[name]


def test_pristine_stubs_import_cleanly(stubs):
    assert stubs["engine"].Value(2.0).data == 2.0
    assert stubs["nn"].Module().parameters() == []


@pytest.mark.parametrize("module", MODULES)
def test_stubs_and_reference_have_the_same_public_api(stubs, module):
    reference_module = importlib.import_module(f"reference.{module}")
    assert public_api(stubs[module]) == public_api(reference_module)


def test_the_spec_ops_are_all_there(stubs):
    for op in SPEC_OPS:
        assert callable(getattr(stubs["engine"].Value, op)), op
        assert callable(getattr(reference.Value, op)), op


def test_given_parts_match_the_spec(stubs):
    Value = stubs["engine"].Value
    child = Value(1.0)
    v = Value(2.0, (child,), "op", label="v")
    assert (v.data, v.grad, v._op, v.label, set(v._prev)) == (2.0, 0.0, "op", "v", {child})
    assert v._backward() is None
    assert repr(v) == "Value(data=2.0, grad=0.0)" == repr(reference.Value(2.0))


def exercises(source):
    """Every function in a stub file whose body raises NotImplementedError."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            raises = [n for n in ast.walk(node) if isinstance(n, ast.Raise)]
            if raises:
                yield node, raises[0]


@pytest.mark.parametrize("module", MODULES)
def test_each_exercise_teaches(pristine_stubs, module):
    """A docstring with the maths, a TODO naming the stage, an error naming stage and page."""
    source = (pristine_stubs / f"{module}.py").read_text()
    lines = source.splitlines()
    found = list(exercises(source))
    assert found, module
    for function, raise_node in found:
        docstring = ast.get_docstring(function)
        assert docstring and len(docstring) > 20, function.name
        message = ast.literal_eval(raise_node.exc.args[0])
        stage = re.match(r"stage (\d): ", message)
        assert stage, message
        assert f"docs page '{PAGE_TITLES[stage.group(1)]}'" in message
        body = "\n".join(lines[function.lineno - 1:function.end_lineno])
        assert f"TODO (stage {stage.group(1)}" in body, function.name


def test_every_exercise_raises_until_done(stubs):
    Value = stubs["engine"].Value
    for op in SPEC_OPS:
        args = {"__pow__": (2,), "tanh": (), "exp": (), "log": (), "relu": (), "backward": (), "__neg__": ()}
        with pytest.raises(NotImplementedError):
            getattr(Value(1.0), op)(*args.get(op, (Value(2.0),)))
    with pytest.raises(NotImplementedError):
        stubs["nn"].MLP(3, [4, 1])
    with pytest.raises(NotImplementedError):
        stubs["train"].mse_loss([Value(1.0)], [1.0])
    with pytest.raises(NotImplementedError):
        stubs["derivatives"].numerical_derivative(lambda x: x, 1.0)


def test_student_folder_has_the_spec_layout():
    for package in ("student", "reference"):
        for module in MODULES + ("__init__",):
            assert (KIT_ROOT / package / f"{module}.py").is_file()
