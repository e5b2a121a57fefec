"""One binding/scope model shared by the rules: who binds a name, where, and what an import means.

Shaped after pyflakes (a ``Binding`` per name per scope, with a ``used`` marker) and
resolved like ruff's ``resolve_qualified_name`` / Fixit's ``QualifiedNameProvider``:
``dc`` in ``from torch.cuda import device_count as dc`` is ``torch.cuda.device_count``.

The model is built from the module's shared index (no second walk of the tree) and
only when a rule first asks for it (``SourceModule.semantic``).
"""

from __future__ import annotations

import ast
import builtins
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from audit.astutil import attribute_chain
from audit.source import FunctionNode, Scope, SourceModule

BUILTIN_NAMES = frozenset(dir(builtins))
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(eq=False, slots=True)
class Binding:
    """A name bound in a scope.

    ``kind`` is "import", "parameter", "assignment", "definition" (def/class) or "other"
    (loop targets, ``with ... as``, ``except ... as``, match captures, ``del``).
    ``qualified`` is what an import binds (``torch.cuda.device_count``; ``torch`` for
    ``import torch.cuda``); ``value`` is the right-hand side of a plain ``name = value``.
    """

    name: str
    kind: str
    node: ast.AST
    scope: Scope
    qualified: str | None = None
    value: ast.expr | None = None
    used: bool = False

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 0)


@dataclass(slots=True)
class _Table:
    bindings: dict[Scope, dict[str, list[Binding]]] = field(default_factory=lambda: defaultdict(dict))
    declared_global: dict[Scope, set[str]] = field(default_factory=lambda: defaultdict(set))


class SemanticModel:
    """Bindings per scope, name resolution and qualified names for one parsed module."""

    def __init__(self, module: SourceModule) -> None:
        # A weak reference: the module caches this model, and a cycle would keep both (and the whole tree)
        # alive until the cyclic garbage collector runs, which costs more than the model itself.
        self._module = weakref.ref(module)
        self._table = _Table()
        self._name_scopes: dict[int, Scope] | None = None
        self._uses_marked = False
        self._collect()

    @property
    def module(self) -> SourceModule:
        module = self._module()
        if module is None:
            raise ReferenceError("the parsed module of this semantic model is gone")
        return module

    # -- building ---------------------------------------------------------------------------------

    def _bind(self, binding: Binding) -> None:
        self._table.bindings[binding.scope].setdefault(binding.name, []).append(binding)

    def _collect(self) -> None:
        module = self.module
        for node, scope in module.scoped(ast.Import, ast.ImportFrom):
            for alias in node.names:
                imported = _imported(node, alias)
                if imported is not None:
                    self._bind(Binding(imported[0], "import", node, scope, qualified=imported[1]))
        for node, scope in module.scoped(ast.arg):
            self._bind(Binding(node.arg, "parameter", node, scope))
        for node, scope in module.scoped(*_DEFINITIONS):
            self._bind(Binding(node.name, "definition", node, scope))
        self._collect_assignments()
        for node, scope in module.scoped(ast.ExceptHandler, ast.MatchAs, ast.MatchStar):
            if node.name:
                self._bind(Binding(node.name, "other", node, scope))
        for node, scope in module.scoped(ast.Global, ast.Nonlocal):
            self._table.declared_global[scope].update(node.names)

    def _collect_assignments(self) -> None:
        """``name = value`` keeps its value; every other store (loop targets, tuples, ``with ... as``) binds too."""
        simple: set[int] = set()
        for node, scope in self.module.scoped(ast.Assign, ast.AnnAssign):
            if isinstance(node, ast.Assign):
                target = node.targets[0] if len(node.targets) == 1 else None
            else:
                target = node.target
            if isinstance(target, ast.Name) and node.value is not None:
                simple.add(id(target))
                self._bind(Binding(target.id, "assignment", node, scope, value=node.value))
        for node, scope in self.module.scoped(ast.Name):
            if not isinstance(node.ctx, ast.Load) and id(node) not in simple:
                self._bind(Binding(node.id, "other", node, scope))

    # -- resolution -------------------------------------------------------------------------------

    def scope_of(self, name: ast.Name) -> Scope:
        """The scope a ``Name`` node is evaluated in."""
        if self._name_scopes is None:
            self._name_scopes = {id(node): scope for node, scope in self.module.scoped(ast.Name)}
        return self._name_scopes.get(id(name), self.module.module_scope)

    def bindings_in(self, scope: Scope, name: str) -> list[Binding]:
        """Every binding of ``name`` in ``scope`` itself, in no particular order."""
        return self._table.bindings.get(scope, {}).get(name, [])

    def lookup(self, name: str, scope: Scope, line: int | None = None) -> Binding | None:
        """The binding a load of ``name`` in ``scope`` resolves to (Python's LEGB, class scopes skipped).

        Within the resolving scope the binding is the last one above ``line``, else the
        last one (a name bound later in a function is still local to it).
        """
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in self._table.declared_global.get(current, ()):
                current = self.module.module_scope
            if current.kind != "class" or first:
                candidates = self.bindings_in(current, name)
                if candidates:
                    return _latest(candidates, line)
            first = False
            current = current.parent
        return None

    def binding_of(self, name: ast.Name) -> Binding | None:
        """The binding a ``Name`` node refers to."""
        return self.lookup(name.id, self.scope_of(name), name.lineno)

    def qualified_name(self, expr: ast.AST) -> str | None:
        """The fully qualified dotted name of a name or attribute chain, through import aliases.

        ``dc`` -> ``torch.cuda.device_count`` after ``from torch.cuda import device_count as dc``;
        ``np.zeros`` -> ``numpy.zeros`` after ``import numpy as np``; an unshadowed builtin is
        its own name (``isinstance``). None for anything else (locals, attributes of calls).
        """
        root, attributes = attribute_chain(expr)
        if root is None:
            return None
        binding = self.binding_of(root)
        if binding is None:
            head = root.id if root.id in BUILTIN_NAMES else None
        elif binding.kind == "import":
            head = binding.qualified
        else:
            head = None
        if head is None:
            return None
        return ".".join([head, *attributes])

    def imports(self) -> Iterable[Binding]:
        """Every import binding, in every scope."""
        for names in self._table.bindings.values():
            for bindings in names.values():
                yield from (binding for binding in bindings if binding.kind == "import")

    def imports_module(self, *prefixes: str) -> bool:
        """Whether any import binds a name from one of these top-level modules."""
        wanted = set(prefixes)
        return any((binding.qualified or "").split(".", 1)[0] in wanted for binding in self.imports())

    # -- used markers (pyflakes) ------------------------------------------------------------------

    def mark_uses(self, extra: Iterable[tuple[str, Scope]] = ()) -> None:
        """Set ``used`` on every binding some load resolves to (and on those ``extra`` names reach).

        ``extra`` lets a rule add uses the tree does not show as loads, such as names in quoted
        annotations or in ``__all__``.
        """
        if self._uses_marked:
            return
        self._uses_marked = True
        for node, scope in self.module.scoped(ast.Name):
            if not isinstance(node.ctx, ast.Store):
                self._mark(node.id, scope, node.lineno)
        for node, scope in self.module.scoped(ast.AugAssign):
            if isinstance(node.target, ast.Name):
                self._mark(node.target.id, scope, node.lineno)
        for name, scope in extra:
            self._mark(name, scope, None)

    def _mark(self, name: str, scope: Scope, line: int | None) -> None:
        binding = self.lookup(name, scope, line)
        if binding is not None:
            binding.used = True

    def is_used(self, binding: Binding) -> bool:
        """Whether a load resolves to ``binding`` (builds the markers on first call)."""
        self.mark_uses()
        return binding.used

    # -- training-code facts ----------------------------------------------------------------------

    def decorated_with(self, function: FunctionNode, qualified: str) -> bool:
        """Whether ``function`` carries ``@qualified`` or ``@qualified(...)``."""
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self.qualified_name(target) == qualified:
                return True
        return False

    @cached_property
    def hydra_main_functions(self) -> list[FunctionNode]:
        """Functions decorated with ``@hydra.main(...)``."""
        return [info.node for info in self.module.functions if self.decorated_with(info.node, "hydra.main")]

    @cached_property
    def hydra_config_parameters(self) -> list[Binding]:
        """The config parameter of each ``@hydra.main`` function (the composed config object)."""
        found = []
        for function in self.hydra_main_functions:
            positional = [*function.args.posonlyargs, *function.args.args]
            if positional:  # Hydra passes the config as the one positional argument
                first = positional[0]
                found.extend(binding for binding in self._parameter_bindings(first.arg) if binding.node is first)
        return found

    def _parameter_bindings(self, name: str) -> Iterable[Binding]:
        for names in self._table.bindings.values():
            yield from (binding for binding in names.get(name, ()) if binding.kind == "parameter")

    def is_hydra_config(self, expr: ast.AST) -> bool:
        """Whether ``expr`` is (an attribute of) the config parameter of a ``@hydra.main`` function."""
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return False
        binding = self.binding_of(expr)
        return binding is not None and binding in self.hydra_config_parameters

    def is_logger(self, expr: ast.AST, logger_objects: Iterable[str]) -> bool:
        """Whether ``expr`` names a logger: a configured qualified name (``logging``,
        ``loguru.logger``) or a variable assigned from ``logging.getLogger(...)``.
        """
        objects = set(logger_objects)
        qualified = self.qualified_name(expr)
        if qualified is not None and qualified in objects:
            return True
        if isinstance(expr, ast.Name):
            binding = self.binding_of(expr)
            value = binding.value if binding is not None else None
            if isinstance(value, ast.Call):
                return self.qualified_name(value.func) in {"logging.getLogger", *objects}
        return False


def _latest(candidates: list[Binding], line: int | None) -> Binding:
    ordered = sorted(candidates, key=lambda binding: binding.line)
    if line is not None:
        before = [binding for binding in ordered if binding.line <= line]
        if before:
            return before[-1]
    return ordered[-1]


def _imported(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> tuple[str, str] | None:
    """(bound name, qualified name it stands for) of one imported alias; None for ``*``."""
    if alias.name == "*":
        return None
    if isinstance(node, ast.Import):
        if alias.asname:
            return alias.asname, alias.name
        top = alias.name.split(".", 1)[0]
        return top, top
    base = "." * node.level + (node.module or "")
    separator = "." if node.module else ""
    return alias.asname or alias.name, f"{base}{separator}{alias.name}"
