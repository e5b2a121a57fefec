"""unused-import: an imported name the module never uses."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from audit.astutil import dotted_name
from audit.model import Finding
from audit.rule import Remedy, Rule
from audit.source import Scope, SourceModule

_TYPING_GENERICS = frozenset({"list", "dict", "set", "frozenset", "tuple", "type"})
_Position = tuple[int, int]
_NO_STRINGS = (ast.Name, ast.Attribute)  # annotations that cannot hold a quoted reference


def _import_binding(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> tuple[str, str] | None:
    """(bound name, full dotted name) of one imported alias; None when it cannot be unused."""
    if alias.name == "*" or alias.asname == alias.name:
        return None  # star imports are another rule's business; ``x as x`` re-exports
    if isinstance(node, ast.Import):
        return alias.asname or alias.name.split(".", 1)[0], alias.name
    if node.module == "__future__":
        return None
    base = "." * node.level + (node.module or "")
    full = f"{base}.{alias.name}" if node.module else f"{base}{alias.name}"
    return alias.asname or alias.name, full


def _is_typing(node: ast.Subscript) -> bool:
    """``Optional[...]``, ``list[...]``: a subscript whose strings are forward references."""
    terminal = (dotted_name(node.value) or "").rsplit(".", 1)[-1]
    return terminal in _TYPING_GENERICS or (terminal[:1].isupper() and terminal != "Literal")


def _type_expressions(module: SourceModule) -> list[tuple[ast.expr | None, Scope]]:
    """Annotations, typing subscripts and ``cast`` targets, each with the scope it is read in."""
    found = [(node.annotation, scope) for node, scope in module.scoped(ast.AnnAssign)]
    found += [(node.annotation, scope.parent or scope) for node, scope in module.scoped(ast.arg)]
    found += [(node.returns, scope) for node, scope in module.scoped(ast.FunctionDef, ast.AsyncFunctionDef)]
    found += [(node.slice, scope) for node, scope in module.scoped(ast.Subscript) if _is_typing(node)]
    found += [(node.args[0], scope) for node, scope in module.scoped(ast.Call) if _is_cast(node)]
    return found


def _is_cast(node: ast.Call) -> bool:
    return bool(node.args) and dotted_name(node.func) in {"cast", "typing.cast"}


def _parse_expression(text: str) -> ast.Expression | None:
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None  # not a forward reference, just a string


def _all_values(module: SourceModule) -> list[ast.AST]:
    """What module-level ``__all__`` is assigned, extended or appended with."""
    values: list[ast.AST] = []
    for node, scope in module.scoped(ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Call):
        if scope.kind != "module":
            continue
        if isinstance(node, ast.Call):
            if node.args and _is_all_method(node.func):
                values.append(node.args[0])
        elif node.value is not None and any(map(_is_all, _targets(node))):
            values.append(node.value)
    return values


def _targets(node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _is_all_method(func: ast.expr) -> bool:
    """``__all__.extend`` or ``__all__.append``."""
    return isinstance(func, ast.Attribute) and func.attr in {"extend", "append"} and _is_all(func.value)


def _is_all(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "__all__"


def _exported_names(module: SourceModule) -> set[str] | None:
    """The strings in ``__all__``; None when the module has no ``__all__``."""
    values = _all_values(module)
    if not values:
        return None
    return {node.value for value in values for node in ast.walk(value)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


@dataclass(frozen=True)
class _Import:
    name: str
    full_name: str
    node: ast.stmt
    scope: Scope


class _Names:
    """Bindings and uses per scope, read off the module's shared index."""

    def __init__(self, module: SourceModule) -> None:
        self.module = module
        self.bound: dict[Scope, dict[str, _Position]] = defaultdict(dict)
        self.declared_global: dict[Scope, set[str]] = defaultdict(set)
        self.loads: list[tuple[str, Scope]] = []
        self.imports: list[_Import] = []
        self.exported: set[str] | None = None

    def bind(self, name: str, scope: Scope, node: ast.AST) -> None:
        position = (node.lineno, node.col_offset)
        if position >= self.bound[scope].get(name, (0, -1)):
            self.bound[scope][name] = position

    def collect(self) -> _Names:
        self._collect_imports()
        self._collect_names()
        self._collect_definitions()
        self._collect_string_references()
        self.exported = _exported_names(self.module)
        return self

    def _collect_names(self) -> None:
        for node, scope in self.module.scoped(ast.Name):
            if not isinstance(node.ctx, ast.Load):
                self.bind(node.id, scope, node)  # ``del x`` binds too: it makes ``x`` local
            if not isinstance(node.ctx, ast.Store):
                self.loads.append((node.id, scope))
        for node, scope in self.module.scoped(ast.AugAssign):
            if isinstance(node.target, ast.Name):
                self.loads.append((node.target.id, scope))
        for node, scope in self.module.scoped(ast.Global, ast.Nonlocal):
            self.declared_global[scope].update(node.names)

    def _collect_definitions(self) -> None:
        for node, scope in self.module.scoped(ast.arg):
            self.bind(node.arg, scope, node)
        named = self.module.scoped(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler,
                                   ast.MatchAs, ast.MatchStar)
        for node, scope in named:
            if node.name:
                self.bind(node.name, scope, node)
        for node, scope in self.module.scoped(ast.MatchMapping):
            if node.rest:
                self.bind(node.rest, scope, node)

    def _collect_imports(self) -> None:
        for node, scope in self.module.scoped(ast.Import, ast.ImportFrom):
            for alias in node.names:
                binding = _import_binding(node, alias)
                if binding is not None:
                    self.bind(binding[0], scope, node)
                    self.imports.append(_Import(*binding, node, scope))

    def _collect_string_references(self) -> None:
        """Names inside quoted annotations, typing subscripts and ``cast("T", x)`` count as uses."""
        for expression, scope in _type_expressions(self.module):
            if expression is not None and not isinstance(expression, _NO_STRINGS):
                self._strings(expression, scope)

    def _strings(self, expression: ast.AST, scope: Scope) -> None:
        for node in ast.walk(expression):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                parsed = _parse_expression(node.value)
                if parsed is not None:
                    self.loads.extend((name.id, scope) for name in ast.walk(parsed) if isinstance(name, ast.Name))
                    self._strings(parsed, scope)

    def used(self) -> dict[Scope, set[str]]:
        """For each scope, the names whose binding there some load resolves to."""
        used: dict[Scope, set[str]] = defaultdict(set)
        for name, scope in self.loads:
            target = self._resolve(name, scope)
            if target is not None:
                used[target].add(name)
        used[self.module.module_scope] |= self.exported or set()
        return used

    def _resolve(self, name: str, scope: Scope) -> Scope | None:
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in self.declared_global.get(current, ()):
                return self.module.module_scope
            if (current.kind != "class" or first) and name in self.bound.get(current, ()):
                return current
            first = False
            current = current.parent
        return None


class UnusedImport(Rule):
    name = "unused-import"
    summary = "Imported name that the module never uses."
    remedy = Remedy("Delete unused imports", "quick-wins", "low", 2, saves="span")
    rationale = (
        "In training code an unused import is rarely free: `import torch`, `wandb` or a dataset package "
        "costs seconds at start-up in every process (each DataLoader worker, each DDP rank, `--help`), and a "
        "leftover import of a removed helper misleads readers about what the module depends on."
    )
    advice = (
        "Delete the import. To re-export a name on purpose, write `from m import x as x` or list it in "
        "`__all__`; imports only needed for type hints go under `if TYPE_CHECKING:`."
    )
    bad_example = '''
import os
from ocr.utils.path_utils import get_path_resolver  # left over from the old config_path

def train(cfg):
    os.makedirs(cfg.paths.log_dir, exist_ok=True)
'''
    good_example = '''
import os

def train(cfg):
    os.makedirs(cfg.paths.log_dir, exist_ok=True)
'''
    noqa_codes = frozenset({"F401"})

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        names = _Names(module).collect()
        if not names.imports:
            return
        used = names.used()
        for item in names.imports:
            if item.name in used[item.scope] or item.scope.kind == "class":
                continue  # an import in a class body is a class attribute (as in ruff)
            if names.bound[item.scope][item.name] != (item.node.lineno, item.node.col_offset):
                continue  # like pyflakes, only the last binding of a name can be an unused import
            if module.is_package_init and item.scope.kind == "module" and names.exported is None:
                continue  # an __init__.py without __all__ re-exports what it imports
            yield module.finding(self.name, item.node, f"`{item.full_name}` is imported but never used")
