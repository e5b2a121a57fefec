"""import-time-side-effect: ``sys.path``, the working directory, the environment or the start method
changed at module or class-body scope."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import PurePath
from typing import Any

from audit.astutil import is_main_guard
from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.semantic import SemanticModel
from audit.source import Scope, SourceModule

_SYS_PATH_METHODS = frozenset({"insert", "append", "extend", "remove", "pop", "clear"})
CALLS = {
    "os.chdir": "`os.chdir` changes the working directory",
    "os.putenv": "`os.putenv` changes the environment",
    "os.environ.update": "`os.environ.update` changes the environment",
    "multiprocessing.set_start_method": "`set_start_method` fixes the multiprocessing start method",
    "torch.multiprocessing.set_start_method": "`set_start_method` fixes the multiprocessing start method",
}
_MODULES = ("os", "sys", "multiprocessing", "torch")
_WORDS = ("sys.path", "from sys import", "chdir", "environ", "putenv", "set_start_method")
_EFFECT_NAMES = _SYS_PATH_METHODS | {"chdir", "putenv", "update", "set_start_method"}


def _call_effect(call: ast.Call, semantic: SemanticModel) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _SYS_PATH_METHODS:
        if semantic.qualified_name(func.value) == "sys.path":
            return f"`sys.path.{func.attr}` changes how every later import resolves"
    qualified = semantic.qualified_name(func)
    return CALLS.get(qualified) if qualified else None


def _target_effect(target: ast.expr, semantic: SemanticModel) -> str | None:
    if isinstance(target, ast.Subscript):
        if semantic.qualified_name(target.value) == "os.environ":
            return "assigning `os.environ[...]` changes the environment"
        if semantic.qualified_name(target.value) == "sys.path":
            return "assigning into `sys.path` changes how every later import resolves"
    elif semantic.qualified_name(target) == "sys.path":
        return "rebinding `sys.path` changes how every later import resolves"
    return None


def _may_have_effects(module: SourceModule) -> bool:
    """Cheap tests first: a word of an effect in the text, an import of os/sys/multiprocessing/torch."""
    if PurePath(module.path).name == "__main__.py":
        return False  # ``python -m package`` runs it as the program; nothing imports it
    return any(word in module.source for word in _WORDS) and _imports_effect_module(module)


def _imports_effect_module(module: SourceModule) -> bool:
    for node in module.nodes(ast.Import, ast.ImportFrom):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
        if any(name.split(".", 1)[0] in _MODULES for name in names):
            return True
    return False


def _last_name(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _runs_at_import(scope: Scope) -> bool:
    """Module scope, or class bodies nested in it (not in a function)."""
    while scope.kind == "class":
        scope = scope.parent
    return scope.kind == "module"


def _main_guard_lines(module: SourceModule) -> set[int]:
    lines: set[int] = set()
    for node in module.tree.body:
        if isinstance(node, ast.If) and is_main_guard(node.test):
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines


def _is_candidate(node: ast.Call | ast.Assign | ast.AugAssign) -> bool:
    if isinstance(node, ast.Call):
        return _last_name(node.func) in _EFFECT_NAMES
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return any(_last_name(target.value if isinstance(target, ast.Subscript) else target) in {"path", "environ"}
               for target in targets)


def _import_time_candidates(module: SourceModule) -> list[ast.AST]:
    """Calls named like an effect and assignments to subscripts or ``path``/``environ``, where they run at
    import time (outside functions and the main guard), read off the shared index."""
    found = [node for node, scope in module.scoped(ast.Call, ast.Assign, ast.AugAssign)
             if _runs_at_import(scope) and _is_candidate(node)]
    if not found:
        return found
    guarded = _main_guard_lines(module)
    return [node for node in found if node.lineno not in guarded]


class ImportTimeSideEffect(Rule):
    name = "import-time-side-effect"
    summary = "`sys.path`, `os.chdir`, `os.environ` or the multiprocessing start method changed at import time."
    remedy = Remedy("Move import-time side effects into the entry function", "start-up", "low", 15, saves="span")
    rationale = (
        "Module and class bodies run for every importer: a test, a notebook, a DataLoader worker, another "
        "script. A `sys.path.insert` there (in the trainer this rule comes from, inside a dataclass body) "
        "changes which module every later `import` finds; `os.chdir` and `os.environ[...] =` change the "
        "process for code that never asked; `set_start_method` raises when a second module also calls it."
    )
    advice = (
        "Install the project as a package (`pip install -e .`) instead of editing `sys.path`; pass paths "
        "and settings explicitly; do process-wide set-up once, inside the entry function or under "
        "`if __name__ == \"__main__\":`."
    )
    bad_example = '''
import sys
from pathlib import Path

class Config:
    sys.path.insert(0, str(Path(__file__).parent.parent))
'''
    good_example = '''
import sys
from pathlib import Path

def main():
    sys.path.insert(0, str(Path(__file__).parent.parent))
'''
    fix_safety = FixSafety(
        "none",
        "No automatic fix: the side effect has to move into the entry function, which only the author can "
        "name.",
    )
    references = (
        "https://docs.python.org/3/library/multiprocessing.html#multiprocessing.set_start_method",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        if not _may_have_effects(module):
            return
        for node in _import_time_candidates(module):
            effect = None
            if isinstance(node, ast.Call):
                effect = _call_effect(node, module.semantic)
            else:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                effect = next(filter(None, (_target_effect(target, module.semantic) for target in targets)), None)
            if effect:
                yield module.finding(self.name, node, f"{effect} when the module is imported")
