"""One binding/scope model shared by the rules: who binds a name, where, what each load reads, what an import means.

Shaped after pyflakes and ruff: a checker walks the module once, in the order Python
would run it, binding names in scopes (``Binding``/``Scope``), resolving every load
to the binding it reads and setting ``used`` on it. Every rule queries that one
model: ``unused-import`` reads the ``used`` markers, the training-code rules ask
``qualified_name``, which resolves import aliases as ruff's ``resolve_qualified_name``
and Fixit's ``QualifiedNameProvider`` do: ``dc`` in ``from torch.cuda import
device_count as dc`` is ``torch.cuda.device_count``.

Resolution follows ruff: function and lambda bodies, ``from __future__ import
annotations`` annotations and quoted type expressions are deferred until the module
is complete, a class body only sees its own names while it runs, comprehensions are
scopes of their own, a forward reference (a quoted or postponed annotation) prefers
the module's binding over a local one (PEP 563), a name rebound in a scope keeps the
``used`` marker of the binding it shadows, and ``__all__`` uses what it names. The
walk uses an explicit stack, so deeply nested expressions cannot exhaust Python's
recursion limit. The model is built when a rule first asks for it
(``SourceModule.semantic``).
"""

from __future__ import annotations

import ast
import builtins
import weakref
from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from audit.astutil import attribute_chain, dotted_name
from audit.source import FunctionNode, SourceModule

BUILTIN_NAMES = frozenset(dir(builtins))

# Binding kinds. A load never resolves to an annotation (``x: int``), a deletion or a name unbound at the end of
# ``except E as name:``; a global/nonlocal declaration or an unbound handler name stands for its ``target``.
IMPORT, PARAMETER, ASSIGNMENT, DEFINITION, OTHER = "import", "parameter", "assignment", "definition", "other"
ANNOTATION, DELETION, GLOBAL, NONLOCAL, UNBOUND = "annotation", "deletion", "global", "nonlocal", "unbound"

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

# Expression modes: strings are type expressions; inside ``Literal[...]``; names prefer module bindings;
# the expression was parsed from a string (its nodes are not the module's, so no load of it is recorded).
TYPE_DEF, LITERAL, FORWARD, QUOTED = 1, 2, 4, 8


@dataclass(eq=False, slots=True)
class Scope:
    """A module, class, function (lambdas too) or comprehension scope, with each name's current binding."""

    kind: str
    node: ast.AST
    parent: Scope | None
    bindings: dict[str, Binding] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class Binding:
    """One binding of a name in a scope.

    ``kind`` is one of the kinds above. For an import, ``node`` is its ``ast.alias``,
    ``statement`` the import statement, ``imported`` the dotted name as written
    (``torch.cuda`` for ``import torch.cuda``) and ``qualified`` what the bound name
    stands for (``torch`` there; ``torch.cuda.device_count`` for ``from torch.cuda
    import device_count as dc``). ``value`` is the right-hand side of a plain
    ``name = value``. ``used`` is set when a load reads the binding, and carried over
    to a binding that shadows it in the same scope (as ruff does). A binding holds
    no reference to its ``Scope`` (which holds it): without that cycle, a module's
    tree is freed as soon as the scan drops it, not at the next cyclic collection.
    """

    name: str
    kind: str
    node: ast.AST
    scope_kind: str  # the kind of the scope it binds in ("module", "class", "function", "comprehension")
    qualified: str | None = None
    imported: str | None = None
    statement: ast.Import | ast.ImportFrom | None = None
    value: ast.expr | None = None
    used: bool = False
    declared: bool = False  # the name was declared ``global``/``nonlocal`` in this scope
    target: Binding | None = None  # what a global/nonlocal declaration or an unbound handler name stands for
    shadowed: bool = False  # a later binding of the name in the same scope replaced it

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 0)

    @property
    def is_submodule_import(self) -> bool:
        """``import a.b`` (no ``as``): binds ``a`` and also loads ``a.b``."""
        return isinstance(self.statement, ast.Import) and "." in (self.imported or "") \
            and getattr(self.node, "asname", None) is None

    @property
    def is_module_import(self) -> bool:
        """``import a`` or ``import a.b as c``: the name stands for the module itself."""
        return isinstance(self.statement, ast.Import) and not self.is_submodule_import


class SemanticModel:
    """Bindings per scope, the binding each load reads, and qualified names for one parsed module."""

    def __init__(self, module: SourceModule) -> None:
        # A weak reference: the module caches this model, and a cycle would keep both (and the whole tree)
        # alive until the cyclic garbage collector runs, which costs more than the model itself.
        self._module = weakref.ref(module)
        self.module_scope = Scope("module", module.tree, None)
        self.exported: set[str] | None = None  # the strings of ``__all__``; None when the module has none
        self._resolved: dict[int, Binding] = {}  # id of a loaded ``ast.Name`` -> the binding it reads
        self._imports: list[Binding] = []
        self._parameters: dict[int, Binding] = {}  # id of an ``ast.arg`` -> its binding
        _Checker(self, module).run()

    @property
    def module(self) -> SourceModule:
        module = self._module()
        if module is None:
            raise ReferenceError("the parsed module of this semantic model is gone")
        return module

    # -- resolution -------------------------------------------------------------------------------

    def binding_of(self, name: ast.Name) -> Binding | None:
        """The binding a loaded ``Name`` of this module reads (through global/nonlocal declarations)."""
        binding = self._resolved.get(id(name))
        while binding is not None and binding.target is not None and binding.kind in (GLOBAL, NONLOCAL, UNBOUND):
            binding = binding.target
        return binding

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
        elif binding.kind == IMPORT:
            head = binding.qualified
        else:
            head = None
        if head is None:
            return None
        return ".".join([head, *attributes])

    def imports(self) -> Iterator[Binding]:
        """Every import binding, in every scope, in the order the checker met them."""
        return iter(self._imports)

    def imports_module(self, *prefixes: str) -> bool:
        """Whether any import binds a name from one of these top-level modules."""
        wanted = set(prefixes)
        return any((binding.qualified or "").split(".", 1)[0] in wanted for binding in self._imports)

    @staticmethod
    def is_used(binding: Binding) -> bool:
        """Whether some load reads ``binding`` (or a binding it shadowed)."""
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
            if positional and id(positional[0]) in self._parameters:  # Hydra passes the config as the one argument
                found.append(self._parameters[id(positional[0])])
        return found

    def is_hydra_config(self, expr: ast.AST) -> bool:
        """Whether ``expr`` is (an attribute of) the config parameter of a ``@hydra.main`` function."""
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return False
        binding = self.binding_of(expr)
        return binding is not None and binding in self.hydra_config_parameters

    def is_logger(self, expr: ast.AST, logger_objects: Collection[str]) -> bool:
        """Whether ``expr`` names a logger, by the ``logger-objects`` entries it is given.

        An entry with a dot is a qualified name, matched through import aliases (``loguru.logger``);
        one without is also matched by the last name of the expression (``logger`` matches
        ``logger`` and ``self.logger``; ``logging`` matches ``import logging``). A variable
        assigned from a call of an entry (``logging.getLogger(...)``) is a logger too.
        """
        qualified = self.qualified_name(expr)
        if qualified is not None and qualified in logger_objects:
            return True
        root, attributes = attribute_chain(expr)
        if root is None:
            return False
        if (attributes[-1] if attributes else root.id) in logger_objects:
            return True
        if attributes:
            return False
        binding = self.binding_of(root)
        value = binding.value if binding is not None else None
        return isinstance(value, ast.Call) and self.qualified_name(value.func) in logger_objects


class _Checker:
    """The one walk that builds a ``SemanticModel``: bindings, scopes, resolved loads and ``used`` markers."""

    def __init__(self, model: SemanticModel, module: SourceModule) -> None:
        self.model = model
        self.module = module
        self.module_scope = model.module_scope
        self.resolved = model._resolved
        self.future_annotations = _has_future_annotations(module.tree)
        self._stack: list[tuple[Any, ...]] = []
        self._functions: deque[tuple[ast.AST, Scope]] = deque()
        self._lambdas: deque[tuple[ast.Lambda, Scope]] = deque()
        self._annotations: deque[tuple[ast.expr, Scope]] = deque()
        self._strings: deque[tuple[str, Scope, int]] = deque()

    # -- driving the walk -------------------------------------------------------------------------------

    def run(self) -> None:
        self._statements(self.module.tree.body, self.module_scope)
        self._run()
        while self._functions or self._lambdas or self._annotations or self._strings:
            self._next_deferred()
            self._run()
        self.model.exported = _exported_names(self.module)
        for name in self.model.exported or ():
            if name in self.module_scope.bindings:
                self.module_scope.bindings[name].used = True

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
            self._expression(_parse_type_string(text), scope, mode | TYPE_DEF | FORWARD | QUOTED)

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

    def _statements(self, body: list[ast.stmt], scope: Scope) -> None:
        self._stack.extend(("stmt", statement, scope) for statement in reversed(body))

    def _expression(self, node: ast.AST | None, scope: Scope, mode: int = 0) -> None:
        if node is not None:
            self._stack.append(("expr", node, scope, mode))

    def _later(self, *action: Any) -> None:
        """Schedule ``action[0](*action[1:])``: pushed before what must run first."""
        self._stack.append(("call", *action))

    # -- bindings and loads -----------------------------------------------------------------------------

    @staticmethod
    def add(scope: Scope, binding: Binding) -> None:
        existing = scope.bindings.get(binding.name)
        if existing is not None:
            if binding.kind == ANNOTATION:
                return  # an annotation of a bound name is not a new value
            if existing.kind not in (DELETION, UNBOUND):
                binding.used = binding.used or existing.used
                binding.declared = binding.declared or existing.declared
            existing.shadowed = True
        scope.bindings[binding.name] = binding

    def _store(self, name: str, scope: Scope, node: ast.AST, kind: str = OTHER, value: ast.expr | None = None) -> None:
        self.add(scope, Binding(name, kind, node, scope.kind, value=value))

    def _load(self, name: str, scope: Scope, mode: int, node: ast.Name | None = None) -> None:
        """Resolve a load of ``name``, mark what it reads used, and record it for a ``Name`` of the module."""
        binding = self._forward(name) if mode & FORWARD else None
        if binding is None:
            binding = self._lexical(name, scope)
        if binding is not None and node is not None:
            self.resolved[id(node)] = binding

    def _forward(self, name: str) -> Binding | None:
        """A forward reference reads the module's binding when there is one (PEP 563)."""
        binding = self.module_scope.bindings.get(name)
        if binding is None or binding.kind in (ANNOTATION, DELETION, UNBOUND):
            return None
        self._use(binding, self.module_scope)
        return binding

    def _lexical(self, name: str, scope: Scope) -> Binding | None:
        """The innermost binding of ``name`` visible from ``scope`` (enclosing class bodies are not)."""
        current: Scope | None = scope
        while current is not None:
            binding = current.bindings.get(name) if (current is scope or current.kind != "class") else None
            if binding is not None:
                self._use(binding, current)
                if binding.kind != ANNOTATION:
                    if binding.target is not None:
                        binding.target.used = True
                    return binding
            current = current.parent
        return None

    def _use(self, binding: Binding, scope: Scope) -> None:
        """Mark ``binding`` used, and the submodule import that an alias of its parent reaches (ruff)."""
        binding.used = True
        if binding.kind != IMPORT or not binding.is_module_import:
            return
        imported = binding.imported or ""
        segment = imported.rsplit(".", 1)[-1]
        if segment == binding.name:
            return
        submodule = scope.bindings.get(segment)
        if (submodule is not None and submodule.kind == IMPORT and submodule.is_submodule_import
                and (submodule.imported or "").split(".", 1)[0] == imported.split(".", 1)[0]):
            submodule.used = True

    def _delete(self, name: str, scope: Scope, node: ast.AST) -> None:
        existing = scope.bindings.get(name)
        if existing is not None:
            existing.used = True  # ``del x`` reads ``x`` (as ruff counts it)
        self._store(name, scope, node, DELETION)

    # -- statements -------------------------------------------------------------------------------------

    def _statement(self, node: ast.stmt, scope: Scope) -> None:
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

    def _import(self, node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        for alias in node.names:
            imported = _imported(node, alias)
            if imported is None:
                continue  # a star import binds nothing the model can name
            name, full, qualified = imported
            binding = Binding(name, IMPORT, alias, scope.kind, qualified=qualified, imported=full, statement=node)
            self.add(scope, binding)
            self.model._imports.append(binding)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
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

    def _bind_definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: Scope) -> None:
        self._store(node.name, scope, node, DEFINITION)

    def _function_body(self, node: ast.AST, outer: Scope) -> None:
        inner = Scope("function", node, outer)
        self._bind_parameters(node.args, inner)
        self._statements(node.body, inner)

    def _lambda_body(self, node: ast.Lambda, outer: Scope) -> None:
        inner = Scope("function", node, outer)
        self._bind_parameters(node.args, inner)
        self._expression(node.body, inner)

    def _bind_parameters(self, arguments: ast.arguments, scope: Scope) -> None:
        parameters = self.model._parameters
        for arg in [*arguments.posonlyargs, *arguments.args, arguments.vararg, *arguments.kwonlyargs,
                    arguments.kwarg]:
            if arg is not None:
                binding = Binding(arg.arg, PARAMETER, arg, scope.kind)
                parameters[id(arg)] = binding
                self.add(scope, binding)

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        self._later(self._bind_definition, node, scope)
        self._statements(node.body, Scope("class", node, scope))
        for child in reversed([*node.decorator_list, *node.bases, *node.keywords]):
            self._expression(child, scope)

    def _annotation(self, annotation: ast.expr | None, scope: Scope) -> None:
        """A postponed annotation (PEP 563) is a forward reference, read once the module is complete."""
        if annotation is None:
            return
        if self.future_annotations:
            self._annotations.append((annotation, scope))
        else:
            self._expression(annotation, scope, TYPE_DEF)

    def _assign(self, node: ast.Assign, scope: Scope) -> None:
        target = node.targets[0]
        if len(node.targets) == 1 and isinstance(target, ast.Name):
            self._later(self._store, target.id, scope, target, ASSIGNMENT, node.value)
        else:
            for target in reversed(node.targets):
                self._expression(target, scope)
        self._expression(node.value, scope)

    def _annotated_assign(self, node: ast.AnnAssign, scope: Scope) -> None:
        if isinstance(node.target, ast.Name):
            if node.value is None:
                self._later(self._store, node.target.id, scope, node.target, ANNOTATION)
            else:
                self._later(self._store, node.target.id, scope, node.target, ASSIGNMENT, node.value)
        else:
            self._expression(node.target, scope)
        is_alias = _terminal(node.annotation) == "TypeAlias"
        self._expression(node.value, scope, TYPE_DEF if is_alias else 0)
        self._annotation(node.annotation, scope)

    def _augmented_assign(self, node: ast.AugAssign, scope: Scope) -> None:
        if isinstance(node.target, ast.Name):
            self._later(self._store, node.target.id, scope, node.target)
            self._later(self._load, node.target.id, scope, 0)
        else:
            self._expression(node.target, scope)
        self._expression(node.value, scope)

    def _declare(self, node: ast.Global | ast.Nonlocal, scope: Scope) -> None:
        if scope.kind == "module":
            return
        kind = GLOBAL if isinstance(node, ast.Global) else NONLOCAL
        for name in node.names:
            target = self.module_scope.bindings.get(name) if kind == GLOBAL else self._enclosing(name, scope)
            self.add(scope, Binding(name, kind, node, scope.kind, declared=True, target=target))

    @staticmethod
    def _enclosing(name: str, scope: Scope) -> Binding | None:
        current = scope.parent
        while current is not None and current.kind != "module":
            if current.kind != "class" and name in current.bindings:
                return current.bindings[name]
            current = current.parent
        return None

    def _try(self, node: ast.Try, scope: Scope) -> None:
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

    def _end_handler(self, handler: ast.ExceptHandler, scope: Scope, previous: Binding | None) -> None:
        """After ``except E as e:`` the name is unbound again; a load then reaches the earlier binding."""
        self.add(scope, Binding(handler.name, UNBOUND, handler, scope.kind, target=previous))

    def _for(self, node: ast.For | ast.AsyncFor, scope: Scope) -> None:
        self._statements(node.orelse, scope)
        self._statements(node.body, scope)
        self._expression(node.target, scope)
        self._expression(node.iter, scope)

    # -- expressions ------------------------------------------------------------------------------------

    def _expression_node(self, node: ast.AST, scope: Scope, mode: int) -> None:
        kind = type(node)
        if kind is ast.Name:
            if isinstance(node.ctx, ast.Load):
                self._load(node.id, scope, mode, None if mode & QUOTED else node)
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

    def _children(self, node: ast.AST, scope: Scope, mode: int) -> None:
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

    def _lambda(self, node: ast.Lambda, scope: Scope, mode: int) -> None:
        self._lambdas.append((node, scope))
        for default in reversed([*node.args.defaults, *node.args.kw_defaults]):
            self._expression(default, scope, mode & ~TYPE_DEF)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: Scope,
                       mode: int) -> None:
        inner = Scope("comprehension", node, scope)
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

    def _named_expression(self, node: ast.NamedExpr, scope: Scope, mode: int) -> None:
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent
        self._later(self._store, node.target.id, target, node.target)
        self._expression(node.value, scope, mode)

    def _subscript(self, node: ast.Subscript, scope: Scope, mode: int) -> None:
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
        elif terminal in _TYPING_GENERICS:
            slice_mode = mode | TYPE_DEF
        self._expression(node.slice, scope, slice_mode)
        self._expression(node.value, scope, mode)

    def _call(self, node: ast.Call, scope: Scope, mode: int) -> None:
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

    def _formatted(self, node: ast.JoinedStr, scope: Scope, mode: int) -> None:
        """An f-string's literal parts are never type expressions."""
        for value in reversed(node.values):
            if isinstance(value, ast.FormattedValue):
                self._expression(value, scope, mode & ~TYPE_DEF)

    def _match_name(self, node: ast.MatchAs | ast.MatchStar | ast.MatchMapping, scope: Scope, mode: int) -> None:
        bound = node.rest if isinstance(node, ast.MatchMapping) else node.name
        if bound:
            self._later(self._store, bound, scope, node)
        self._children(node, scope, mode)


_STATEMENTS = {
    ast.Import: _Checker._import, ast.ImportFrom: _Checker._import,
    ast.FunctionDef: _Checker._function, ast.AsyncFunctionDef: _Checker._function, ast.ClassDef: _Checker._class,
    ast.Assign: _Checker._assign, ast.AnnAssign: _Checker._annotated_assign,
    ast.AugAssign: _Checker._augmented_assign, ast.Global: _Checker._declare, ast.Nonlocal: _Checker._declare,
    ast.Try: _Checker._try, ast.TryStar: _Checker._try, ast.For: _Checker._for, ast.AsyncFor: _Checker._for,
}
_EXPRESSIONS = {
    ast.Lambda: _Checker._lambda, ast.NamedExpr: _Checker._named_expression, ast.Subscript: _Checker._subscript,
    ast.Call: _Checker._call, ast.JoinedStr: _Checker._formatted,
    ast.MatchAs: _Checker._match_name, ast.MatchStar: _Checker._match_name, ast.MatchMapping: _Checker._match_name,
    **{kind: _Checker._comprehension for kind in _COMPREHENSIONS},
}


def _imported(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> tuple[str, str, str] | None:
    """(bound name, dotted name as written, qualified name it stands for) of one alias; None for ``*``."""
    if alias.name == "*":
        return None
    if isinstance(node, ast.Import):
        if alias.asname:
            return alias.asname, alias.name, alias.name
        top = alias.name.split(".", 1)[0]
        return top, alias.name, top
    base = "." * node.level + (node.module or "")
    full = f"{base}.{alias.name}" if node.module else f"{base}{alias.name}"
    return alias.asname or alias.name, full, full


def _terminal(node: ast.expr) -> str:
    return (dotted_name(node) or "").rsplit(".", 1)[-1]


def _typing_call(func: ast.expr, name: str) -> bool:
    """``name(...)``, ``typing.name(...)`` or ``typing_extensions.name(...)``."""
    dotted = dotted_name(func) or ""
    prefix, _, terminal = dotted.rpartition(".")
    return terminal == name and (not prefix or prefix in _TYPING_MODULES)


def _parse_type_string(text: str) -> ast.expr | None:
    """The expression a quoted annotation holds (parenthesised, so it may span lines); None if it holds none."""
    try:
        return ast.parse(f"({text.strip()})", mode="eval").body
    except (SyntaxError, ValueError):
        return None


def _all_values(module: SourceModule) -> list[ast.expr]:
    """What module-level ``__all__`` is assigned or augmented with.

    ``__all__.extend(...)`` and ``__all__.append(...)`` export nothing, for ruff and pyflakes alike.
    """
    return [node.value for node, scope in module.scoped(ast.Assign, ast.AugAssign, ast.AnnAssign)
            if scope.kind == "module" and node.value is not None
            and any(isinstance(target, ast.Name) and target.id == "__all__" for target in _targets(node))]


def _exported_names(module: SourceModule) -> set[str] | None:
    """The strings in ``__all__``; None when the module has no ``__all__``."""
    values = _all_values(module)
    if not values:
        return None
    return {node.value for value in values for node in ast.walk(value)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def _targets(node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _has_future_annotations(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names) for node in tree.body)
