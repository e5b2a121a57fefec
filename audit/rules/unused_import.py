"""unused-import: an imported name the module never uses.

Name resolution follows ruff's semantic model (itself built on pyflakes' Binding
and Scope model with ``used`` markers): statements are visited in order, function
and lambda bodies, ``from __future__ import annotations`` annotations and quoted
type expressions are deferred until the enclosing module is complete, a class
body only sees its own names while it runs, comprehensions are scopes of their
own, and a forward reference (a quoted or postponed annotation) prefers the
module's binding over a local one (PEP 563). The walk uses an explicit stack, so
deeply nested expressions cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.astutil import dotted_name
from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.source import SourceModule

# Subscripted outside an annotation, these take type expressions (quoted names are references);
# any other subscript takes values (``ForeignKey["Path"]``, ``frame["column"]``), as in ruff.
_TYPING_GENERICS = frozenset({
    "list", "dict", "set", "frozenset", "tuple", "type",
    "List", "Dict", "Set", "FrozenSet", "Tuple", "Type", "Optional", "Union", "Callable", "ClassVar", "Final",
    "Iterable", "Iterator", "Generator", "Sequence", "MutableSequence", "Mapping", "MutableMapping", "Collection",
    "Container", "AbstractSet", "MutableSet", "Reversible", "KeysView", "ValuesView", "ItemsView", "MappingView",
    "AsyncIterable", "AsyncIterator", "AsyncGenerator", "Awaitable", "Coroutine", "ContextManager",
    "AsyncContextManager", "AbstractContextManager", "AbstractAsyncContextManager", "Deque", "DefaultDict",
    "OrderedDict", "Counter", "ChainMap", "deque", "defaultdict", "Generic", "Protocol", "TypeGuard", "TypeIs",
    "Required", "NotRequired", "ReadOnly", "Concatenate", "Unpack", "Pattern", "Match", "IO", "SupportsAbs",
    "SupportsInt", "SupportsFloat", "Hashable", "Sized", "Buffer",
})
_TYPING_MODULES = frozenset({"typing", "typing_extensions", "t"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)

# Expression modes: strings are type expressions; inside ``Literal[...]``; names prefer module bindings.
TYPE_DEF, LITERAL, FORWARD = 1, 2, 4

# Binding kinds that a load does not resolve to, or that stand for another binding.
ANNOTATION, DELETION, GLOBAL, NONLOCAL, UNBOUND_EXCEPTION = "annotation", "deletion", "global", "nonlocal", "unbound"
IMPORT, SUBMODULE, FROM_IMPORT, OTHER = "import", "submodule", "from-import", "other"


@dataclass(eq=False)
class _Scope:
    """A module, class, function (lambdas too) or comprehension scope."""

    kind: str
    parent: _Scope | None
    bindings: dict[str, _Binding] = field(default_factory=dict)


@dataclass(eq=False)
class _Binding:
    """One binding of a name; ``used`` is copied to a binding that shadows it (as ruff does)."""

    name: str
    kind: str
    node: ast.AST | None = None
    full_name: str = ""
    reportable: bool = False
    used: bool = False
    declared: bool = False  # the name was declared ``global``/``nonlocal`` in this scope
    target: _Binding | None = None  # what a ``global``/``nonlocal``/unbound-exception binding stands for
    statement: ast.stmt | None = None  # the import statement that created it


def _import_bindings(node: ast.Import | ast.ImportFrom) -> Iterator[_Binding]:
    """The binding each alias of an import statement creates (none for a star import)."""
    for alias in node.names:
        if alias.name != "*":
            binding = _alias_binding(node, alias)
            # ``x as x`` re-exports on purpose; ``__future__`` imports are directives.
            binding.reportable = alias.asname != alias.name and getattr(node, "module", None) != "__future__"
            yield binding


def _alias_binding(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> _Binding:
    if isinstance(node, ast.ImportFrom):
        base = "." * node.level + (node.module or "")
        full = f"{base}.{alias.name}" if node.module else f"{base}{alias.name}"
        return _Binding(alias.asname or alias.name, FROM_IMPORT, alias, full, statement=node)
    if alias.asname:
        return _Binding(alias.asname, IMPORT, alias, alias.name, statement=node)
    kind = SUBMODULE if "." in alias.name else IMPORT
    return _Binding(alias.name.split(".", 1)[0], kind, alias, alias.name, statement=node)


def _terminal(node: ast.expr) -> str:
    return (dotted_name(node) or "").rsplit(".", 1)[-1]


def _typing_call(func: ast.expr, name: str) -> bool:
    """``name(...)``, ``typing.name(...)`` or ``typing_extensions.name(...)``."""
    dotted = dotted_name(func) or ""
    prefix, _, terminal = dotted.rpartition(".")
    return terminal == name and (not prefix or prefix in _TYPING_MODULES)


def _is_typing_subscript(node: ast.Subscript) -> bool:
    """``Optional[...]``, ``list[...]``: a subscript whose strings are forward references."""
    return _terminal(node.value) in _TYPING_GENERICS


def _parse_type_string(text: str) -> ast.expr | None:
    """The expression a quoted annotation holds (parenthesised, so it may span lines); None if it holds none."""
    try:
        return ast.parse(f"({text.strip()})", mode="eval").body
    except (SyntaxError, ValueError):
        return None


def _all_values(module: SourceModule) -> list[ast.AST]:
    """What module-level ``__all__`` is assigned or augmented with.

    ``__all__.extend(...)`` and ``__all__.append(...)`` export nothing, for ruff and pyflakes alike.
    """
    return [node.value for node, scope in module.scoped(ast.Assign, ast.AugAssign, ast.AnnAssign)
            if scope.kind == "module" and node.value is not None
            and any(isinstance(target, ast.Name) and target.id == "__all__" for target in _targets(node))]


def _targets(node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _exported_names(module: SourceModule) -> set[str] | None:
    """The strings in ``__all__``; None when the module has no ``__all__``."""
    values = _all_values(module)
    if not values:
        return None
    return {node.value for value in values for node in ast.walk(value)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def _has_future_annotations(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names) for node in tree.body)


class _Names:
    """Bindings and their uses, scope by scope, in the order Python would run the code."""

    def __init__(self, module: SourceModule) -> None:
        self.module = module
        self.module_scope = _Scope("module", None)
        self.future_annotations = _has_future_annotations(module.tree)
        self.exported: set[str] | None = None
        self._stack: list[tuple[Any, ...]] = []
        self._functions: deque[tuple[ast.AST, _Scope]] = deque()
        self._lambdas: deque[tuple[ast.Lambda, _Scope]] = deque()
        self._annotations: deque[tuple[ast.expr, _Scope]] = deque()
        self._strings: deque[tuple[str, _Scope, int]] = deque()
        self.imports: list[tuple[_Binding, _Scope]] = []

    # -- driving the walk -------------------------------------------------------------------------------

    def collect(self) -> _Names:
        self._statements(self.module.tree.body, self.module_scope)
        self._run()
        while self._functions or self._lambdas or self._annotations or self._strings:
            self._next_deferred()
            self._run()
        self.exported = _exported_names(self.module)
        for name in self.exported or ():
            if name in self.module_scope.bindings:
                self.module_scope.bindings[name].used = True
        return self

    def _next_deferred(self) -> None:
        """Function bodies first, then lambdas, postponed annotations and quoted types (ruff's order)."""
        if self._functions:
            self._function_body(*self._functions.popleft())
        elif self._lambdas:
            self._lambda_body(*self._lambdas.popleft())
        elif self._annotations:
            annotation, scope = self._annotations.popleft()
            self._expression(annotation, scope, TYPE_DEF | FORWARD)
        else:
            text, scope, mode = self._strings.popleft()
            self._expression(_parse_type_string(text), scope, mode | TYPE_DEF | FORWARD)

    def _run(self) -> None:
        """Process the work stack: statements, expressions and deferred actions, in source order."""
        stack = self._stack
        while stack:
            item = stack.pop()
            kind = item[0]
            if kind == "stmt":
                self._statement(item[1], item[2])
            elif kind == "expr":
                self._expression_node(item[1], item[2], item[3])
            else:
                item[1](*item[2:])

    def _statements(self, body: list[ast.stmt], scope: _Scope) -> None:
        self._stack.extend(("stmt", statement, scope) for statement in reversed(body))

    def _expression(self, node: ast.AST | None, scope: _Scope, mode: int = 0) -> None:
        if node is not None:
            self._stack.append(("expr", node, scope, mode))

    def _later(self, *action: Any) -> None:
        """Schedule ``action[0](*action[1:])``: pushed before what must run first."""
        self._stack.append(("call", *action))

    # -- bindings and loads -----------------------------------------------------------------------------

    def add(self, scope: _Scope, binding: _Binding) -> None:
        existing = scope.bindings.get(binding.name)
        if existing is not None:
            if binding.kind == ANNOTATION:
                return  # an annotation of a bound name is not a new value
            if existing.kind not in (DELETION, UNBOUND_EXCEPTION):
                binding.used = binding.used or existing.used
                binding.declared = binding.declared or existing.declared
        scope.bindings[binding.name] = binding

    def _store(self, name: str, scope: _Scope, node: ast.AST) -> None:
        self.add(scope, _Binding(name, OTHER, node))

    def _load(self, name: str, scope: _Scope, mode: int) -> None:
        if mode & FORWARD:
            binding = self.module_scope.bindings.get(name)
            if binding is not None and binding.kind not in (ANNOTATION, DELETION, UNBOUND_EXCEPTION):
                self._use(binding, self.module_scope)
                return
        current: _Scope | None = scope
        while current is not None:
            binding = current.bindings.get(name) if (current is scope or current.kind != "class") else None
            if binding is not None:
                self._use(binding, current)
                if binding.kind != ANNOTATION:
                    if binding.target is not None:
                        binding.target.used = True
                    return
            current = current.parent

    def _use(self, binding: _Binding, scope: _Scope) -> None:
        """Mark ``binding`` used, and the submodule import that an alias of its parent reaches (ruff)."""
        binding.used = True
        if binding.kind != IMPORT:
            return
        segment = binding.full_name.rsplit(".", 1)[-1]
        if segment == binding.name:
            return
        submodule = scope.bindings.get(segment)
        if (submodule is not None and submodule.kind == SUBMODULE
                and submodule.full_name.split(".", 1)[0] == binding.full_name.split(".", 1)[0]):
            submodule.used = True

    def _delete(self, name: str, scope: _Scope, node: ast.AST) -> None:
        existing = scope.bindings.get(name)
        if existing is not None:
            existing.used = True  # ``del x`` reads ``x`` (as ruff counts it)
        self.add(scope, _Binding(name, DELETION, node))

    # -- statements -------------------------------------------------------------------------------------

    def _statement(self, node: ast.stmt, scope: _Scope) -> None:
        handler = _STATEMENTS.get(type(node))
        if handler is not None:
            handler(self, node, scope)
            return
        children: list[tuple[Any, ...]] = []
        for name in node._fields:
            value = getattr(node, name)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.stmt):
                    children.append(("stmt", child, scope))
                elif isinstance(child, (ast.expr, ast.excepthandler, ast.match_case, ast.withitem)):
                    children.append(("expr", child, scope, 0))
        self._stack.extend(reversed(children))

    def _import(self, node: ast.Import | ast.ImportFrom, scope: _Scope) -> None:
        for binding in _import_bindings(node):
            self.add(scope, binding)
            if scope.kind in ("module", "function") and binding.reportable:
                self.imports.append((binding, scope))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        self._later(self._bind_definition, node, scope)
        self._functions.append((node, scope))
        arguments = node.args
        self._annotation(node.returns, scope)
        for arg in reversed([*arguments.posonlyargs, *arguments.args, arguments.vararg, *arguments.kwonlyargs,
                             arguments.kwarg]):
            if arg is not None:
                self._annotation(arg.annotation, scope)
        for default in reversed([*arguments.defaults, *arguments.kw_defaults]):
            self._expression(default, scope)
        for decorator in reversed(node.decorator_list):
            self._expression(decorator, scope)

    def _bind_definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: _Scope) -> None:
        self._store(node.name, scope, node)

    def _function_body(self, node: ast.AST, outer: _Scope) -> None:
        inner = self._new_scope("function", outer)
        self._bind_parameters(node.args, inner)
        self._statements(node.body, inner)

    def _lambda_body(self, node: ast.Lambda, outer: _Scope) -> None:
        inner = self._new_scope("function", outer)
        self._bind_parameters(node.args, inner)
        self._expression(node.body, inner)

    def _bind_parameters(self, arguments: ast.arguments, scope: _Scope) -> None:
        for arg in [*arguments.posonlyargs, *arguments.args, arguments.vararg, *arguments.kwonlyargs,
                    arguments.kwarg]:
            if arg is not None:
                self._store(arg.arg, scope, arg)

    def _new_scope(self, kind: str, parent: _Scope) -> _Scope:
        return _Scope(kind, parent)

    def _class(self, node: ast.ClassDef, scope: _Scope) -> None:
        self._later(self._bind_definition, node, scope)
        self._statements(node.body, self._new_scope("class", scope))
        for child in reversed([*node.decorator_list, *node.bases, *node.keywords]):
            self._expression(child, scope)

    def _annotation(self, annotation: ast.expr | None, scope: _Scope) -> None:
        """A postponed annotation (PEP 563) is a forward reference, read once the module is complete."""
        if annotation is None:
            return
        if self.future_annotations:
            self._annotations.append((annotation, scope))
        else:
            self._expression(annotation, scope, TYPE_DEF)

    def _assign(self, node: ast.Assign, scope: _Scope) -> None:
        for target in reversed(node.targets):
            self._expression(target, scope)
        self._expression(node.value, scope)

    def _annotated_assign(self, node: ast.AnnAssign, scope: _Scope) -> None:
        if isinstance(node.target, ast.Name):
            kind = ANNOTATION if node.value is None else OTHER
            self._later(self.add, scope, _Binding(node.target.id, kind, node.target))
        else:
            self._expression(node.target, scope)
        is_alias = _terminal(node.annotation) == "TypeAlias"
        self._expression(node.value, scope, TYPE_DEF if is_alias else 0)
        self._annotation(node.annotation, scope)

    def _augmented_assign(self, node: ast.AugAssign, scope: _Scope) -> None:
        if isinstance(node.target, ast.Name):
            self._later(self._store, node.target.id, scope, node.target)
            self._later(self._load, node.target.id, scope, 0)
        else:
            self._expression(node.target, scope)
        self._expression(node.value, scope)

    def _declare(self, node: ast.Global | ast.Nonlocal, scope: _Scope) -> None:
        if scope.kind == "module":
            return
        kind = GLOBAL if isinstance(node, ast.Global) else NONLOCAL
        for name in node.names:
            target = self.module_scope.bindings.get(name) if kind == GLOBAL else self._enclosing(name, scope)
            self.add(scope, _Binding(name, kind, node, declared=True, target=target))

    def _enclosing(self, name: str, scope: _Scope) -> _Binding | None:
        current = scope.parent
        while current is not None and current.kind != "module":
            if current.kind != "class" and name in current.bindings:
                return current.bindings[name]
            current = current.parent
        return None

    def _try(self, node: ast.Try, scope: _Scope) -> None:
        self._statements(node.finalbody, scope)
        self._statements(node.orelse, scope)
        for handler in reversed(node.handlers):
            if handler.name:
                self._later(self._end_handler, handler, scope, scope.bindings.get(handler.name))
            self._statements(handler.body, scope)
            if handler.name:
                self._later(self._store, handler.name, scope, handler)
            self._expression(handler.type, scope)
        self._statements(node.body, scope)

    def _end_handler(self, handler: ast.ExceptHandler, scope: _Scope, previous: _Binding | None) -> None:
        """After ``except E as e:`` the name is unbound again; a load then reaches the earlier binding."""
        self.add(scope, _Binding(handler.name, UNBOUND_EXCEPTION, handler, target=previous))

    # -- expressions ------------------------------------------------------------------------------------

    def _expression_node(self, node: ast.AST, scope: _Scope, mode: int) -> None:
        kind = type(node)
        if kind is ast.Name:
            if isinstance(node.ctx, ast.Load):
                self._load(node.id, scope, mode)
            elif isinstance(node.ctx, ast.Store):
                self._store(node.id, scope, node)
            else:
                self._delete(node.id, scope, node)
            return
        if kind is ast.Constant:
            if mode & TYPE_DEF and not mode & LITERAL and isinstance(node.value, str):
                self._strings.append((node.value, scope, mode & ~LITERAL))
            return
        handler = _EXPRESSIONS.get(kind)
        if handler is not None:
            handler(self, node, scope, mode)
            return
        self._children(node, scope, mode)

    def _children(self, node: ast.AST, scope: _Scope, mode: int) -> None:
        children: list[tuple[Any, ...]] = []
        for name in node._fields:
            if name in ("ctx", "op", "ops"):
                continue
            value = getattr(node, name)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.stmt):
                    children.append(("stmt", child, scope))
                elif isinstance(child, ast.AST):
                    children.append(("expr", child, scope, mode))
        self._stack.extend(reversed(children))

    def _lambda(self, node: ast.Lambda, scope: _Scope, mode: int) -> None:
        self._lambdas.append((node, scope))
        for default in reversed([*node.args.defaults, *node.args.kw_defaults]):
            self._expression(default, scope, mode & ~TYPE_DEF)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: _Scope,
                       mode: int) -> None:
        inner = self._new_scope("comprehension", scope)
        if isinstance(node, ast.DictComp):
            self._expression(node.value, inner, mode)
            self._expression(node.key, inner, mode)
        else:
            self._expression(node.elt, inner, mode)
        for index in reversed(range(len(node.generators))):
            generator = node.generators[index]
            for condition in reversed(generator.ifs):
                self._expression(condition, inner, mode)
            self._expression(generator.target, inner, mode)
            self._expression(generator.iter, scope if index == 0 else inner, mode)

    def _named_expression(self, node: ast.NamedExpr, scope: _Scope, mode: int) -> None:
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent
        self._later(self._store, node.target.id, target, node.target)
        self._expression(node.value, scope, mode)

    def _subscript(self, node: ast.Subscript, scope: _Scope, mode: int) -> None:
        terminal = _terminal(node.value)
        slice_mode = mode
        if terminal == "Literal":
            slice_mode = mode | LITERAL
        elif terminal == "Annotated" and isinstance(node.slice, ast.Tuple) and node.slice.elts:
            first, *metadata = node.slice.elts
            for item in reversed(metadata):
                self._expression(item, scope, mode & ~TYPE_DEF)
            self._expression(first, scope, mode | TYPE_DEF)
            self._expression(node.value, scope, mode)
            return
        elif _is_typing_subscript(node):
            slice_mode = mode | TYPE_DEF
        self._expression(node.slice, scope, slice_mode)
        self._expression(node.value, scope, mode)

    def _call(self, node: ast.Call, scope: _Scope, mode: int) -> None:
        """Calls whose arguments are type expressions: ``cast``, ``TypeVar``, ``NewType``, ``TypeAliasType``."""
        plain = mode & ~TYPE_DEF
        typed_args: set[int] = set()
        typed_keywords: set[str] = set()
        if _typing_call(node.func, "cast"):
            typed_args = {0}
        elif _typing_call(node.func, "TypeVar"):
            typed_args, typed_keywords = set(range(1, len(node.args))), {"bound", "default"}
        elif _typing_call(node.func, "NewType") or _typing_call(node.func, "TypeAliasType"):
            typed_args, typed_keywords = {1}, {"value"}
        for keyword in reversed(node.keywords):
            self._expression(keyword.value, scope, plain | TYPE_DEF if keyword.arg in typed_keywords else plain)
        for index in reversed(range(len(node.args))):
            self._expression(node.args[index], scope, plain | TYPE_DEF if index in typed_args else plain)
        self._expression(node.func, scope, plain)

    def _formatted(self, node: ast.JoinedStr, scope: _Scope, mode: int) -> None:
        """An f-string's literal parts are never type expressions."""
        for value in reversed(node.values):
            if isinstance(value, ast.FormattedValue):
                self._expression(value, scope, mode & ~TYPE_DEF)

    def _match_name(self, node: ast.MatchAs | ast.MatchStar | ast.MatchMapping, scope: _Scope, mode: int) -> None:
        bound = node.rest if isinstance(node, ast.MatchMapping) else node.name
        if bound:
            self._later(self._store, bound, scope, node)
        self._children(node, scope, mode)

    def _for(self, node: ast.For | ast.AsyncFor, scope: _Scope) -> None:
        self._statements(node.orelse, scope)
        self._statements(node.body, scope)
        self._expression(node.target, scope)
        self._expression(node.iter, scope)


_STATEMENTS = {
    ast.Import: _Names._import, ast.ImportFrom: _Names._import,
    ast.FunctionDef: _Names._function, ast.AsyncFunctionDef: _Names._function, ast.ClassDef: _Names._class,
    ast.Assign: _Names._assign, ast.AnnAssign: _Names._annotated_assign, ast.AugAssign: _Names._augmented_assign,
    ast.Global: _Names._declare, ast.Nonlocal: _Names._declare,
    ast.Try: _Names._try, ast.TryStar: _Names._try, ast.For: _Names._for, ast.AsyncFor: _Names._for,
}
_EXPRESSIONS = {
    ast.Lambda: _Names._lambda, ast.NamedExpr: _Names._named_expression, ast.Subscript: _Names._subscript,
    ast.Call: _Names._call, ast.JoinedStr: _Names._formatted,
    ast.MatchAs: _Names._match_name, ast.MatchStar: _Names._match_name, ast.MatchMapping: _Names._match_name,
    **{kind: _Names._comprehension for kind in _COMPREHENSIONS},
}


class UnusedImport(Rule):
    name = "unused-import"
    summary = "Imported name that the module never uses."
    remedy = Remedy("Delete unused imports", "quick-wins", "low", 2, saves="span", harm="low")
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
    fix_safety = FixSafety(
        "safe",
        "`audit fix` removes the unused names (the whole statement when all are unused) and leaves every "
        "other byte alone; a rescan verifies the result before it is written. It never touches "
        "`__init__.py` (imports there re-export), `__future__` imports or imports under `try/except "
        "ImportError`, whose purpose is their side effect. Removing an import drops any side effect of "
        "importing it: keep such an import with `# noqa: F401` or `# audit: ignore[unused-import]`.",
    )
    references = (
        "https://docs.astral.sh/ruff/rules/unused-import/",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        names = _Names(module).collect()
        for binding, scope in names.imports:
            if binding.used or binding.declared or scope.bindings.get(binding.name) is not binding:
                continue  # like ruff and pyflakes, only a name's last binding can be an unused import
            if module.is_package_init and scope.kind == "module" and names.exported is None:
                continue  # an __init__.py without __all__ re-exports what it imports
            # A comment on a multi-line import's first line covers every name in it (as ruff reads it).
            yield module.finding(self.name, binding.node, f"`{binding.full_name}` is imported but never used",
                                 also_suppressed_at=binding.statement.lineno)
