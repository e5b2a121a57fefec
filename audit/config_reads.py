"""What one module does with a Hydra config: the per-file facts of the config-key rules.

For each function of a module that imports hydra or omegaconf, every use of a
parameter (or of a name derived from one, ``model_cfg = cfg.model``) is
recorded relative to that parameter: a read of ``a.b``, a safe read
(``.get``, ``in``, ``hasattr``), a write, the node passed whole (``instantiate``,
``**``, iteration) or a call that hands it to another function. Which parameter
is a config, and which config, is only known across files, so the project phase
(``audit.config_keys``) follows these facts from each ``@hydra.main`` function.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from audit.astutil import dotted_name
from audit.source import SourceModule

ConfigPath = tuple[str, ...]

READ, SAFE, WHOLE, WRITE, CALL = "read", "safe", "whole", "write", "call"
# DictConfig methods that look a key up without failing when it is missing.
_SAFE_LOOKUPS = frozenset({"get", "pop", "setdefault"})
_NOT_READS = frozenset({
    "print", "repr", "str", "OmegaConf.to_container", "OmegaConf.to_yaml", "OmegaConf.to_object", "OmegaConf.save",
    "OmegaConf.set_struct", "OmegaConf.set_readonly", "OmegaConf.resolve", "OmegaConf.is_missing",
    "OmegaConf.is_config", "OmegaConf.is_dict", "OmegaConf.is_list", "isinstance", "open_dict", "read_write",
    "omegaconf.open_dict", "omegaconf.OmegaConf.to_container", "omegaconf.OmegaConf.to_yaml",
    "omegaconf.OmegaConf.set_struct", "omegaconf.OmegaConf.save", "omegaconf.OmegaConf.resolve",
})
_LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log", "log_hyperparams",
                          "save_hyperparameters"})
_WHOLE_CALLS = frozenset({"instantiate", "call", "hydra.utils.instantiate", "hydra.utils.call",
                          "OmegaConf.merge", "omegaconf.OmegaConf.merge", "dict", "list", "vars"})


@dataclass(frozen=True)
class ConfigUse:
    """One use of parameter ``param`` at ``path`` below it."""

    param: int
    path: ConfigPath
    kind: str
    line: int
    column: int
    callee: str | None = None
    argument: int | str | None = None


@dataclass(frozen=True)
class FunctionUses:
    qualname: str
    params: tuple[str, ...]
    uses: tuple[ConfigUse, ...]


@dataclass(frozen=True)
class HydraEntry:
    """A ``@hydra.main`` function; ``config_path`` is relative to the module's folder, or ``pkg://...``."""

    function: str
    config_path: str | None
    config_name: str | None
    line: int


@dataclass(frozen=True)
class ConfigFacts:
    """A module's config uses by function (callees already qualified), and its ``@hydra.main`` entries."""

    functions: dict[str, FunctionUses]
    entries: tuple[HydraEntry, ...]


def collect_config_facts(module: SourceModule) -> ConfigFacts | None:
    """The module's config uses, or None when it imports neither hydra nor omegaconf."""
    imports = _imports(module)
    if not any(target.split(".", 1)[0] in {"hydra", "omegaconf"} for target in imports.values()):
        return None
    constants = _module_constants(module.tree)
    functions: dict[str, FunctionUses] = {}
    entries: list[HydraEntry] = []
    for info in module.functions:
        functions[info.qualname] = _function_uses(info.node, info.qualname, imports)
        entry = _hydra_entry(info.node, info.qualname, imports, constants)
        if entry is not None:
            entries.append(entry)
    return ConfigFacts(functions, tuple(entries))


def _imports(module: SourceModule) -> dict[str, str]:
    """Every name any import in the module binds, with the dotted name it stands for."""
    bound: dict[str, str] = {}
    for node in module.nodes(ast.Import, ast.ImportFrom):
        for alias in node.names:
            if isinstance(node, ast.Import):
                local = alias.asname or alias.name.split(".", 1)[0]
                bound[local] = alias.name if alias.asname else local
            elif alias.name != "*" and not node.level and node.module:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def qualify(name: str | None, imports: dict[str, str]) -> str | None:
    """``name`` with its first part replaced by what an import bound it to."""
    if name is None:
        return None
    head, _, rest = name.partition(".")
    target = imports.get(head)
    if target is None:
        return name
    return f"{target}.{rest}" if rest else target


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {target.id: statement.value for statement in tree.body if isinstance(statement, ast.Assign)
            for target in statement.targets if isinstance(target, ast.Name)}


def _hydra_entry(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, imports: dict[str, str],
                 constants: dict[str, ast.expr]) -> HydraEntry | None:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and qualify(dotted_name(decorator.func), imports) == "hydra.main":
            keywords = {keyword.arg: keyword.value for keyword in decorator.keywords}
            path_expr = keywords.get("config_path")
            name_expr = keywords.get("config_name")
            config_name = name_expr.value if isinstance(name_expr, ast.Constant) else None
            return HydraEntry(qualname, _static_path(path_expr, constants), config_name, node.lineno)
    return None


def _static_path(expr: ast.expr | None, constants: dict[str, ast.expr], depth: int = 0) -> str | None:
    """A config folder relative to the module's folder, from the idioms people write; None when not static."""
    if expr is None or depth > 5:
        return None
    if isinstance(expr, ast.Name):
        return _static_path(constants.get(expr.id), constants, depth + 1)
    if isinstance(expr, ast.Constant):
        return _string(expr)
    operands = _path_operands(expr)
    if operands is None:
        return _file_folder(expr)
    return _joined(_static_path(operands[0], constants, depth + 1), operands[1:])


def _path_operands(expr: ast.expr) -> list[ast.expr] | None:
    """The base and the appended parts of ``base / "x"``, ``os.path.join(base, "x")`` or ``str(base)``."""
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        return [expr.left, expr.right]
    function = dotted_name(expr.func) if isinstance(expr, ast.Call) and expr.args else None
    if function in {"str", "os.fspath"} and len(expr.args) == 1 or function == "os.path.join":
        return list(expr.args)
    return None


def _joined(base: str | None, parts: list[ast.expr]) -> str | None:
    texts = [_string(part) for part in parts]
    if base is None or None in texts:
        return None
    return "/".join([base, *texts])


def _file_folder(expr: ast.expr) -> str | None:
    """``Path(__file__).resolve().parents[N]``, ``.parent``, ``os.path.dirname(__file__)`` as a relative path."""
    ups = 0
    node: ast.expr | None = expr
    while node is not None and not (isinstance(node, ast.Name) and node.id == "__file__"):
        node, step = _path_step(node)
        ups += step
    if node is None or ups == 0:
        return None
    return "/".join([".", *[".."] * (ups - 1)])


def _path_step(node: ast.expr) -> tuple[ast.expr | None, int]:
    """One step down a path expression towards ``__file__``, and how many folders up it climbs."""
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        return node.value, 1
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
        index = node.slice.value if isinstance(node.slice, ast.Constant) else None
        return (node.value.value, index + 1) if isinstance(index, int) else (None, 0)
    return _call_step(node) if isinstance(node, ast.Call) else (None, 0)


def _call_step(node: ast.Call) -> tuple[ast.expr | None, int]:
    if isinstance(node.func, ast.Attribute) and node.func.attr in {"resolve", "absolute"}:
        return node.func.value, 0
    function = dotted_name(node.func) if len(node.args) == 1 else None
    if function == "os.path.dirname":
        return node.args[0], 1
    if function in {"os.path.abspath", "os.path.realpath", "Path", "pathlib.Path"}:
        return node.args[0], 0
    return None, 0


def _function_uses(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str,
                   imports: dict[str, str]) -> FunctionUses:
    arguments = node.args
    params = tuple(arg.arg for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs])
    aliases: dict[str, tuple[int, ConfigPath]] = {name: (index, ()) for index, name in enumerate(params)}
    parents = {child: parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
    _derive_aliases(node, aliases)
    uses: list[ConfigUse] = []
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and child.id in aliases:
            param, base = aliases[child.id]
            uses.extend(_classify(child, param, base, parents, imports))
    return FunctionUses(qualname, params, tuple(uses))


def _derive_aliases(node: ast.AST, aliases: dict[str, tuple[int, ConfigPath]]) -> None:
    """``x = cfg.a.b`` (or ``cfg.get("a") or {}``) makes ``x`` stand for ``a.b`` of ``cfg``'s parameter."""
    assignments = [(name, value) for name, value in _name_assignments(node) if name not in aliases]
    for _ in range(3):  # aliases of aliases, in any order
        derived = {name: _path_of(value, aliases) for name, value in assignments}
        found = {name: path for name, path in derived.items() if path is not None and aliases.get(name) != path}
        if not found:
            return
        aliases.update(found)


def _name_assignments(node: ast.AST) -> list[tuple[str, ast.expr]]:
    """``name = value`` statements anywhere under ``node``."""
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Assign) and len(child.targets) == 1 and isinstance(child.targets[0], ast.Name):
            found.append((child.targets[0].id, child.value))
    return found


def _path_of(expr: ast.expr, aliases: dict[str, tuple[int, ConfigPath]]) -> tuple[int, ConfigPath] | None:
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
        return _path_of(expr.values[0], aliases)
    suffix: list[str] = []
    node: ast.expr | None = expr
    while node is not None and not isinstance(node, ast.Name):
        node, key = _chain_step(node)
        suffix.append(key)
    if node is None or node.id not in aliases:
        return None
    param, base = aliases[node.id]
    return param, (*base, *reversed(suffix))


def _chain_step(node: ast.expr) -> tuple[ast.expr | None, str]:
    """``a.b``, ``a["b"]`` and ``a.get("b")``: the node below and the key; (None, "") otherwise."""
    if isinstance(node, ast.Attribute):
        return node.value, node.attr
    if isinstance(node, ast.Subscript) and _string(node.slice) is not None:
        return node.value, _string(node.slice)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and _string(node.args[0]) is not None):
        return node.func.value, _string(node.args[0])
    return None, ""


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _classify(name: ast.Name, param: int, base: ConfigPath, parents: dict[ast.AST, ast.AST],
              imports: dict[str, str]) -> list[ConfigUse]:
    """Follow the attribute/subscript/``.get`` chain up from ``name`` and say how its end is used."""
    path = base
    current: ast.AST = name
    while True:
        parent = parents.get(current)
        key = _key_of(parent, current)
        if key is None:
            return [_end_use(current, parent, param, path, parents, imports)]
        position = (current.lineno, current.col_offset + 1)
        call = parents.get(parent)
        if isinstance(parent, ast.Attribute) and isinstance(call, ast.Call) and call.func is parent:
            return [_method_use(parent.attr, call, param, path)]
        if not key:
            return [ConfigUse(param, path, WHOLE, *position)]
        if isinstance(getattr(parent, "ctx", None), (ast.Store, ast.Del)):
            return [ConfigUse(param, (*path, key), WRITE, *position)]
        path = (*path, key)
        current = parent


def _key_of(parent: ast.AST | None, child: ast.AST) -> str | None:
    """The key ``parent`` takes from ``child`` (``""`` for a computed subscript); None when it is no lookup."""
    if isinstance(parent, ast.Attribute) and parent.value is child:
        return parent.attr
    if isinstance(parent, ast.Subscript) and parent.value is child:
        return _string(parent.slice) or ""
    return None


def _method_use(method: str, call: ast.Call, param: int, path: ConfigPath) -> ConfigUse:
    position = (call.lineno, call.col_offset + 1)
    key = _string(call.args[0]) if call.args else None
    if method in _SAFE_LOOKUPS and key is not None:
        return ConfigUse(param, (*path, key), SAFE, *position)
    return ConfigUse(param, path, WHOLE, *position)  # items(), values(), copy(), merge_with(), ...


_ESCAPES = (ast.Starred, ast.Return, ast.Yield, ast.YieldFrom, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Lambda)


def _end_use(node: ast.AST, parent: ast.AST | None, param: int, path: ConfigPath, parents: dict[ast.AST, ast.AST],
             imports: dict[str, str]) -> ConfigUse:
    position = (node.lineno, node.col_offset + 1)
    if isinstance(parent, ast.keyword):
        return _keyword_use(parent, parents.get(parent), param, path, position, imports)
    if isinstance(parent, ast.Call) and node in parent.args:
        return _call_use(parent, parent.args.index(node), param, path, position, imports)
    if isinstance(parent, ast.Compare) and _string(parent.left) is not None and node is not parent.left:
        if any(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops):
            return ConfigUse(param, (*path, _string(parent.left)), SAFE, *position)
    return ConfigUse(param, path, WHOLE if _escapes(node, parent) else READ, *position)


def _keyword_use(keyword: ast.keyword, call: ast.AST | None, param: int, path: ConfigPath, position: tuple[int, int],
                 imports: dict[str, str]) -> ConfigUse:
    if keyword.arg is not None and isinstance(call, ast.Call):
        return _call_use(call, keyword.arg, param, path, position, imports)
    return ConfigUse(param, path, WHOLE, *position)  # ``**cfg.optimizer``


def _escapes(node: ast.AST, parent: ast.AST | None) -> bool:
    """Whether the node leaves for somewhere its keys cannot be followed (returned, iterated, stored away)."""
    if isinstance(parent, _ESCAPES):
        return True
    if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)):
        return parent.iter is node
    if isinstance(parent, ast.Assign):
        return not (len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name))
    return False


def _call_use(call: ast.Call, argument: int | str, param: int, path: ConfigPath, position: tuple[int, int],
              imports: dict[str, str]) -> ConfigUse:
    spelled = dotted_name(call.func)
    callee = qualify(spelled, imports)
    lookup = _lookup_argument(spelled, callee, call, argument)
    if lookup is not None:
        return ConfigUse(param, (*path, *lookup), SAFE, *position)
    if _records_only(spelled, callee):
        return ConfigUse(param, path, READ, *position)
    if spelled is None or spelled.rsplit(".", 1)[-1] in _WHOLE_CALLS or callee in _WHOLE_CALLS:
        return ConfigUse(param, path, WHOLE, *position)
    return ConfigUse(param, path, CALL, *position, callee=callee, argument=argument)


def _lookup_argument(spelled: str | None, callee: str | None, call: ast.Call, argument: int | str
                     ) -> tuple[str, ...] | None:
    """The key path ``hasattr(cfg, "k")`` or ``OmegaConf.select(cfg, "a.b")`` looks up, if that is the call."""
    key = _string(call.args[1]) if argument == 0 and len(call.args) > 1 else None
    if key is None:
        return None
    if spelled == "hasattr":
        return (key,)
    if callee in {"omegaconf.OmegaConf.select", "OmegaConf.select"}:
        return tuple(key.split("."))
    return None


def _records_only(spelled: str | None, callee: str | None) -> bool:
    """Printing, logging and serialising a config read none of its keys (``wandb.init(config=...)`` too)."""
    if spelled in _NOT_READS or callee in _NOT_READS or (callee or "").startswith("wandb."):
        return True
    return "." in (spelled or "") and (spelled or "").rsplit(".", 1)[-1] in _LOG_METHODS
