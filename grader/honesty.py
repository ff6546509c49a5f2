"""Does a submission's code reach for the reference or the grader? Read, never run.

``scan(folder)`` parses each graded module and reports the code that imports
``reference``/``grader`` (statements, ``importlib``/``__import__`` with those
names, code strings given to ``exec``), reads files under them
(``open``/``Path``/loaders, ``/``-joined paths), puts the kit's root folder on
``sys.path``, or is itself a link into them. Only code counts: a docstring,
a comment, a label or a variable that happens to be called ``reference`` is
not a flag. Code the scan cannot see (names built at run time) is caught in
the worker by ``guard.py``; both produce ``{"module", "reason"}`` flags.
"""

import ast
import os
from pathlib import Path

from .sandbox import GRADER_DIR, REFERENCE_DIR
from .stages import MODULES

FORBIDDEN = frozenset({"reference", "grader"})
MAX_SOURCE_BYTES = 2 * 1024 * 1024  # larger files are left to the runtime guard
# functions that import a module named by their string arguments
IMPORTERS = frozenset({"import_module", "__import__", "find_spec", "run_module", "find_loader", "load_module"})
# functions that open, load or list what their string arguments name
PATH_USERS = frozenset({
    "open", "open_code", "FileIO", "Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath",
    "read_text", "read_bytes", "spec_from_file_location", "SourceFileLoader", "SourcelessFileLoader",
    "run_path", "load_source", "listdir", "scandir", "walk", "exists", "isfile", "isdir", "join", "glob",
    "iglob", "copy", "copyfile", "copytree", "getlines", "getline", "exec", "eval", "compile",
})
CODE_RUNNERS = frozenset({"exec", "eval", "compile"})
PATH_LISTS = frozenset({"append", "insert", "extend"})  # sys.path.<these>(...)
PARENT_CALLS = frozenset({"dirname"})
CWD_CALLS = frozenset({"getcwd", "cwd", "abspath", "realpath", "resolve"})


def scan(folder):
    """``[{"module": "engine", "reason": "engine.py imports reference (line 3)"}, ...]`` for ``folder``."""
    folder = Path(folder)
    flags = []
    for module in MODULES:
        path = folder / f"{module}.py"
        for reason in _link_reasons(path) + _code_reasons(path):
            flag = {"module": module, "reason": f"{module}.py {reason}"}
            if flag not in flags:
                flags.append(flag)
    return flags


def _link_reasons(path):
    """A module that is a symbolic link into the reference or the grader is theirs, not the student's."""
    if not path.is_symlink():
        return []
    target = Path(os.path.realpath(path))
    for place in (REFERENCE_DIR, GRADER_DIR):
        if target == place or place in target.parents:
            return [f"is a link to {place.name}/{target.relative_to(place)}"]
    return []


def _code_reasons(path):
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return []
        tree = ast.parse(path.read_bytes(), filename=str(path))
        return _Scanner().reasons(tree)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # unreadable or not Python: the import fails on its own, with its own message


class _Scanner(ast.NodeVisitor):
    """Walks one module's syntax tree, collecting why it reaches for the reference or the grader."""

    def __init__(self, depth=0):
        self.found = []
        self.strings = {}  # name -> the string constants it is assigned anywhere in the module
        self.depth = depth

    def reasons(self, tree):
        for node in ast.walk(tree):  # first, the names that hold strings (REF = "reference")
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.strings.setdefault(target.id, set()).update(self.values(node.value, follow=False))
        self.visit(tree)
        return self.found

    def note(self, node, reason):
        self.found.append(f"{reason} (line {getattr(node, 'lineno', '?')})")

    # ---- what a node may be, as strings ----

    def values(self, node, follow=True):
        """The strings ``node`` can evaluate to, as far as constants tell (unknown parts become '\\0')."""
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, str) else set()
        if isinstance(node, ast.Name) and follow:
            return self.strings.get(node.id, set())
        if isinstance(node, ast.JoinedStr):
            parts = [self.values(v.value) if isinstance(v, ast.FormattedValue) else self.values(v)
                     for v in node.values]
            return {"".join(sorted(p)[0] if p else "\0" for p in parts)}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.values(node.left, follow), self.values(node.right, follow)
            return {a + b for a in left or {"\0"} for b in right or {"\0"}} if left or right else set()
        return set()

    def module_names(self, node):
        return {v for v in self.values(node) if v.split(".")[0] in FORBIDDEN}

    def forbidden_paths(self, node):
        return {v for v in self.values(node) if FORBIDDEN & set(v.replace("\\", "/").split("/"))}

    # ---- the rules ----

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] in FORBIDDEN:
                self.note(node, f"imports {alias.name}")

    def visit_ImportFrom(self, node):
        names = [node.module] if node.module else [alias.name for alias in node.names]
        if node.level != 1 and any(name.split(".")[0] in FORBIDDEN for name in names):
            self.note(node, f"imports from {'.' * node.level}{node.module or names[0]}")

    def visit_Call(self, node):
        name = _called_name(node.func)
        arguments = list(node.args) + [k.value for k in node.keywords]
        if name in IMPORTERS:
            for found in set().union(*(self.module_names(a) for a in arguments)) if arguments else ():
                self.note(node, f"imports {found} with {name}()")
        if name in PATH_USERS:
            for found in set().union(*(self.forbidden_paths(a) for a in arguments)) if arguments else ():
                self.note(node, f"uses the path {found!r} with {name}()")
        if name in CODE_RUNNERS and node.args and self.depth < 3:
            for text in self.values(node.args[0]):
                self.run_nested(node, text)
        if _is_sys_path(node.func, methods=PATH_LISTS) or name == "addsitedir":
            if any(self.escapes(a) for a in arguments):
                self.note(node, "adds a folder outside the submission (the kit's root) to sys.path")
        self.generic_visit(node)

    def visit_BinOp(self, node):
        if isinstance(node.op, ast.Div):  # Path(...) / "reference"
            for side in (node.left, node.right):
                for found in self.forbidden_paths(side):
                    self.note(node, f"builds the path {found!r}")
        self.generic_visit(node)

    def visit_Assign(self, node):
        self.check_path_assignment(node, node.targets, node.value)

    def visit_AugAssign(self, node):
        self.check_path_assignment(node, [node.target], node.value)

    def check_path_assignment(self, node, targets, value):
        if any(_is_sys_path(t) for t in targets) and self.escapes(value):
            self.note(node, "adds a folder outside the submission (the kit's root) to sys.path")
        self.generic_visit(node)

    def run_nested(self, node, text):
        """Code given to exec/eval/compile as a string is scanned like the module itself."""
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        for reason in _Scanner(self.depth + 1).reasons(tree):
            self.note(node, f"runs code that {reason}")

    def escapes(self, node):
        """Whether a path expression leads out of the submission folder: to its parent or the cwd."""
        for sub in ast.walk(node):
            for text in self.values(sub) if isinstance(sub, (ast.Constant, ast.Name, ast.JoinedStr)) else ():
                parts = text.replace("\\", "/").split("/")
                if ".." in parts or text.startswith("/") or text in (".", "") or FORBIDDEN & set(parts):
                    return True
            if isinstance(sub, ast.Call) and _called_name(sub.func) in CWD_CALLS and not sub.args:
                return True  # the current folder: the kit's root when a student runs the grader
        return _parent_steps(node) >= 2


def _called_name(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_sys_path(node, methods=None):
    """``sys.path`` itself (``sys.path[...]`` too), or with ``methods``, a call target ``sys.path.<method>``."""
    if methods is not None:
        return isinstance(node, ast.Attribute) and node.attr in methods and _is_sys_path(node.value)
    if isinstance(node, ast.Subscript):
        node = node.value
    return (isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name)
            and node.value.id == "sys")


def _parent_steps(node):
    """How many folders up from ``__file__`` an expression goes (dirname(), .parent, .parents[n])."""
    if isinstance(node, ast.Name):
        return 0 if node.id == "__file__" else -99
    if isinstance(node, ast.Call):
        inner = max((_parent_steps(a) for a in node.args), default=-99)
        if isinstance(node.func, ast.Attribute) and node.func.attr not in PARENT_CALLS:
            inner = max(inner, _parent_steps(node.func.value))  # Path(__file__).resolve()
        return inner + (1 if _called_name(node.func) in PARENT_CALLS else 0)
    if isinstance(node, ast.Attribute):
        return _parent_steps(node.value) + (1 if node.attr == "parent" else 0)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
        index = node.slice.value if isinstance(node.slice, ast.Constant) else 0
        return _parent_steps(node.value.value) + (index + 1 if isinstance(index, int) else 1)
    if isinstance(node, (ast.BinOp, ast.JoinedStr)):
        return max((_parent_steps(child) for child in ast.iter_child_nodes(node)), default=-99)
    return -99
