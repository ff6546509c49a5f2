"""Does a submission's code reach for the reference or the grader? Read, never run.

``scan(folder)`` parses each graded module and reports the code that imports
``reference``/``grader`` (statements, ``importlib``/``__import__`` with those
names, code strings given to ``exec``), reads files under them
(``open``/``Path``/loaders, ``/``-joined paths), puts the kit's root folder on
``sys.path``, or is itself a link into them. Only code counts: a docstring,
a comment, a label or a variable that happens to be called ``reference`` is
not a flag. Code the scan cannot see (names built at run time) is caught in
the worker by ``guard.py``; both produce ``{"module", "reason"}`` flags.

The scan runs in the grading process on input the submission chose, so it is
bounded whatever that input is: files over ``MAX_SOURCE_BYTES`` are not
parsed, an expression stands for at most ``MAX_VALUES`` strings, and each
module gets a fixed ``BUDGET`` of work (nodes looked at plus characters
built). The budget is counted, not timed, so the same files always give the
same result. Where the scan gives up, ``examine`` says so in a note: that is
neither the student's fault (no points are lost) nor the grader's failure;
the runtime guard still watches that module.
"""

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from .flags import Intake
from .instructor.claims import read_regular
from .sandbox import GRADER_DIR, REFERENCE_DIR
from .stages import MODULES

FORBIDDEN = frozenset({"reference", "grader"})
MAX_SOURCE_BYTES = 128 * 1024  # about 20 times the reference's largest module; parsing more costs too much memory
MAX_VALUES = 64  # strings one expression (or one name) may stand for before the scan stops enumerating them
BUDGET = 2_000_000  # work per module: syntax nodes evaluated plus characters of the strings built
MAX_NESTING = 3  # exec("exec('...')"): how deep code strings are scanned
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
UNKNOWN = "\0"  # stands for the part of a string the constants do not tell


@dataclass
class Findings:
    """What the scan found: ``flags`` ``{"module", "reason"}`` and ``notes`` ``{"module", "note"}``
    for the modules it could not read through (not a fault of anyone's)."""

    flags: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def scan(folder):
    """``[{"module": "engine", "reason": "engine.py imports reference (line 3)"}, ...]`` for ``folder``."""
    return examine(folder).flags


def examine(folder):
    """The flags for ``folder``, and a note for each module the scan gave up on."""
    folder = Path(folder)
    findings = Findings()
    intake = Intake(findings.flags)
    for module in MODULES:
        path = folder / f"{module}.py"
        reasons, gave_up = _code_reasons(path)
        for reason in _link_reasons(path) + reasons:
            intake.add(module, f"{module}.py {reason}")
        if gave_up:
            findings.notes.append({
                "module": module,
                "note": f"the honesty scan did not read all of {module}.py ({gave_up}); "
                        "the runtime guard still watched it"})
    return findings


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
    """``(reasons, why the scan gave up or None)`` for one module."""
    try:
        source = read_regular(path, MAX_SOURCE_BYTES)
        if source is None:  # missing, or not a regular file (a FIFO, say): the import says what is wrong
            return [], None
        if len(source) > MAX_SOURCE_BYTES:
            return [], f"it is larger than the {MAX_SOURCE_BYTES // 1024} KB the scan reads"
        tree = ast.parse(source, filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return [], None  # unreadable or not Python: the import fails on its own, with its own message
    except (RecursionError, MemoryError):
        return [], "it is nested too deeply (or is too big) to parse"
    scanner = _Scanner(_Budget())
    try:
        scanner.scan(tree)
    except _OutOfBudget:
        scanner.gave_up = scanner.gave_up or "it needs more work than the scan allows a module"
    except (RecursionError, MemoryError):
        scanner.gave_up = "it is nested too deeply (or is too big) to follow"
    return scanner.reasons(), scanner.gave_up


class _OutOfBudget(Exception):
    pass


class _Budget:
    """Counts the scan's work on one module; running out stops the scan of that module."""

    def __init__(self, units=BUDGET):
        self.left = units

    def spend(self, units):
        self.left -= units
        if self.left < 0:
            raise _OutOfBudget()


class _Scanner:
    """Walks one module's syntax tree, collecting why it reaches for the reference or the grader."""

    def __init__(self, budget, depth=0):
        self.budget = budget
        self.depth = depth
        self.found = []  # (line, reason)
        self.strings = {}  # name -> the string constants it is assigned anywhere in the module
        self.memo = {}  # (id(node), follow) -> the strings it stands for
        self.gave_up = None  # why some of the module went unread, or None

    def reasons(self):
        seen, reasons = set(), []
        for line, reason in sorted(self.found, key=lambda found: found[0]):
            text = f"{reason} (line {line})"
            if text not in seen:
                seen.add(text)
                reasons.append(text)
        return reasons

    def scan(self, tree):
        nodes = list(ast.walk(tree))  # iterative: a deep tree cannot exhaust the stack here
        self.budget.spend(len(nodes))
        for node in nodes:  # first, import statements: they cost nothing to check, so no bomb can hide them
            if isinstance(node, ast.Import):
                self.check_import(node)
            elif isinstance(node, ast.ImportFrom):
                self.check_import_from(node)
        for node in nodes:  # then, the names that hold strings (REF = "reference")
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        held = self.strings.setdefault(target.id, set())
                        if held is not None:
                            held.update(self.values(node.value, follow=False))
                            if len(held) > MAX_VALUES:
                                self.strings[target.id] = None
                                self.give_up(f"the name {target.id[:40]} is given more than {MAX_VALUES} strings")
        for node in nodes:
            rule = self.RULES.get(type(node))
            if rule is not None:
                try:
                    rule(self, node)
                except RecursionError:
                    self.give_up(f"the expression on line {getattr(node, 'lineno', '?')} is nested too deeply")

    def note(self, node, reason):
        self.found.append((getattr(node, "lineno", 0), reason))

    def give_up(self, why):
        self.gave_up = self.gave_up or why

    # ---- what a node may be, as strings ----

    def values(self, node, follow=True):
        """The strings ``node`` can evaluate to, as far as constants tell (unknown parts become '\\0')."""
        key = (id(node), follow)
        if key not in self.memo:
            self.budget.spend(1)
            self.memo[key] = self._values(node, follow)
        return self.memo[key]

    def _values(self, node, follow):
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, str) else set()
        if isinstance(node, ast.Name):
            return (self.strings.get(node.id) or set()) if follow else set()
        if isinstance(node, ast.JoinedStr):
            return self.concat([self.values(v.value if isinstance(v, ast.FormattedValue) else v, follow)
                                for v in node.values], node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            operands = []
            while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # a + b + c, without recursion
                operands.append(node.right)
                node = node.left
            operands.append(node)
            parts = [self.values(operand, follow) for operand in reversed(operands)]
            return self.concat(parts, node) if any(parts) else set()
        return set()

    def concat(self, parts, node):
        """Every string the parts joined in order can make; the unknown when that is too many."""
        count = 1
        for part in parts:
            count *= max(len(part), 1)
            if count > MAX_VALUES:
                self.give_up(f"the strings built on line {getattr(node, 'lineno', '?')} are too many to follow")
                return set()
        results = {""}
        for part in parts:
            part = part or {UNKNOWN}
            results = {a + b for a in results for b in part}
            self.budget.spend(sum(len(r) for r in results))
        return results

    def module_names(self, node):
        return {v for v in self.values(node) if v.split(".")[0] in FORBIDDEN}

    def forbidden_paths(self, node):
        return {v for v in self.values(node) if FORBIDDEN & set(v.replace("\\", "/").split("/"))}

    # ---- the rules ----

    def check_import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] in FORBIDDEN:
                self.note(node, f"imports {alias.name}")

    def check_import_from(self, node):
        names = [node.module] if node.module else [alias.name for alias in node.names]
        if node.level != 1 and any(name.split(".")[0] in FORBIDDEN for name in names):
            self.note(node, f"imports from {'.' * node.level}{node.module or names[0]}")

    def check_call(self, node):
        name = _called_name(node.func)
        arguments = list(node.args) + [k.value for k in node.keywords]
        if name in IMPORTERS:
            for found in sorted(set().union(*(self.module_names(a) for a in arguments))):
                self.note(node, f"imports {found} with {name}()")
        if name in PATH_USERS:
            for found in sorted(set().union(*(self.forbidden_paths(a) for a in arguments))):
                self.note(node, f"uses the path {found!r} with {name}()")
        if name in CODE_RUNNERS and node.args and self.depth < MAX_NESTING:
            for text in sorted(self.values(node.args[0])):
                self.run_nested(node, text)
        if _is_sys_path(node.func, methods=PATH_LISTS) or name == "addsitedir":
            if any(self.escapes(a) for a in arguments):
                self.note(node, "adds a folder outside the submission (the kit's root) to sys.path")

    def check_bin_op(self, node):
        if isinstance(node.op, ast.Div):  # Path(...) / "reference"
            for side in (node.left, node.right):
                for found in sorted(self.forbidden_paths(side)):
                    self.note(node, f"builds the path {found!r}")

    def check_assign(self, node):
        self.check_path_assignment(node, node.targets, node.value)

    def check_aug_assign(self, node):
        self.check_path_assignment(node, [node.target], node.value)

    def check_path_assignment(self, node, targets, value):
        if any(_is_sys_path(t) for t in targets) and self.escapes(value):
            self.note(node, "adds a folder outside the submission (the kit's root) to sys.path")

    RULES = {ast.Call: check_call, ast.BinOp: check_bin_op, ast.Assign: check_assign,
             ast.AugAssign: check_aug_assign}

    def run_nested(self, node, text):
        """Code given to exec/eval/compile as a string is scanned like the module itself."""
        self.budget.spend(len(text))
        if len(text) > MAX_SOURCE_BYTES:
            self.give_up(f"the code string run on line {getattr(node, 'lineno', '?')} is too long to read")
            return
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return
        except (RecursionError, MemoryError):
            self.give_up(f"the code string run on line {getattr(node, 'lineno', '?')} is nested too deeply")
            return
        nested = _Scanner(self.budget, self.depth + 1)
        try:
            nested.scan(tree)
        finally:  # what it found before running out of budget still counts
            for reason in nested.reasons():
                self.note(node, f"runs code that {reason}")
            if nested.gave_up:
                self.give_up(nested.gave_up)

    def escapes(self, node):
        """Whether a path expression leads out of the submission folder: to its parent or the cwd."""
        for sub in ast.walk(node):
            self.budget.spend(1)
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
