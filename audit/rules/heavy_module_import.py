"""heavy-module-import: torch & co. imported at module scope of a command-line entry module."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import Any

from audit.astutil import is_main_guard
from audit.model import Finding
from audit.rule import FixSafety, Option, Remedy, Rule, string_list
from audit.semantic import SemanticModel
from audit.source import SourceModule

HEAVY_MODULES = ("torch", "torchvision", "torchaudio", "lightning", "pytorch_lightning", "transformers",
                 "datasets", "wandb", "tensorflow", "jax", "deepspeed", "timm")
COMMAND_LINE_MODULES = frozenset({"argparse", "click", "typer", "fire"})


def _parses_command_line(nodes: list[ast.AST], semantic: SemanticModel) -> bool:
    """Whether any of ``nodes`` calls, or is decorated by, argparse, click, typer or fire."""
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Call):
                qualified = semantic.qualified_name(node.func) or ""
                if qualified.split(".", 1)[0] in COMMAND_LINE_MODULES:
                    return True
    return False


def _main_guard_bodies(module: SourceModule) -> list[ast.If]:
    return [node for node in module.tree.body if isinstance(node, ast.If) and is_main_guard(node.test)]


def _called_names(roots: list[ast.AST]) -> set[str]:
    return {node.func.id for root in roots for node in ast.walk(root)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def _module_definitions(module: SourceModule) -> dict[str, ast.AST]:
    """The module's own functions and callable objects by name (``app = typer.Typer()`` binds ``app``)."""
    definitions: dict[str, ast.AST] = {}
    for statement in module.tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            definitions[statement.name] = statement
        elif isinstance(statement, ast.Assign):
            definitions.update((target.id, statement.value) for target in statement.targets
                               if isinstance(target, ast.Name))
    return definitions


def _reachable_functions(roots: list[ast.AST], definitions: dict[str, ast.AST]) -> list[ast.AST]:
    """The module's own functions (and callable objects) that ``roots`` reach by calling them by name."""
    reached: dict[str, ast.AST] = {}
    pending = _called_names(roots)
    while pending:
        name = pending.pop()
        if name in definitions and name not in reached:
            reached[name] = definitions[name]
            pending |= _called_names([definitions[name]])
    return list(reached.values())


def console_script_functions(path: str, console_scripts: Iterable[str]) -> list[str]:
    """The names that console scripts (``pkg.module:function``) call in the module at ``path``.

    A script names this module when its dotted module path is the tail of the file's path
    (``pkg/module.py`` or ``pkg/module/__init__.py``, under any folder, ``src/`` included).
    """
    parts = PurePath(path).with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    names = []
    for script in console_scripts:
        target, _, attribute = script.partition(":")
        wanted = tuple(target.strip().split("."))
        name = attribute.split("[", 1)[0].strip().split(".", 1)[0]  # ``main [extra]``, ``app.run``: ``main``, ``app``
        if name and len(parts) >= len(wanted) and parts[len(parts) - len(wanted):] == wanted:
            names.append(name)
    return names


def is_entry_module(module: SourceModule, console_scripts: Iterable[str] = ()) -> bool:
    """A ``@hydra.main`` function, or argparse/click/typer/fire used under ``if __name__ == "__main__":`` or in
    a function named as a console script (directly, or in module functions those call, at any depth)."""
    semantic = module.semantic
    if semantic.hydra_main_functions:
        return True
    guards = _main_guard_bodies(module)
    scripts = console_script_functions(module.path, console_scripts)
    if not guards and not scripts:
        return False
    definitions = _module_definitions(module)
    for guard in guards:
        if _parses_command_line(list(guard.body), semantic):
            return True
        if _parses_command_line(_reachable_functions(list(guard.body), definitions), semantic):
            return True
    roots = [definitions[name] for name in scripts if name in definitions]
    return bool(roots) and _parses_command_line([*roots, *_reachable_functions(roots, definitions)], semantic)


def console_scripts_of(pyproject: Mapping[str, Any]) -> tuple[str, ...]:
    """The targets of a ``pyproject.toml``'s ``[project.scripts]`` (``pkg.module:function``)."""
    project = pyproject.get("project")
    scripts = project.get("scripts") if isinstance(project, dict) else None
    if not isinstance(scripts, dict):
        return ()
    return tuple(value for value in scripts.values() if isinstance(value, str) and ":" in value)


def _heavy_names(node: ast.Import | ast.ImportFrom, heavy: frozenset[str]) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        top = (node.module or "").split(".", 1)[0]
        return [node.module] if node.level == 0 and top in heavy else []
    return [alias.name for alias in node.names if alias.name.split(".", 1)[0] in heavy]


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _lines_of(blocks: list[list[ast.stmt]]) -> set[int]:
    return {line for block in blocks for statement in block
            for line in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)}


def _module_scope_imports(module: SourceModule) -> list[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported, read off the shared index (``if TYPE_CHECKING:``, the
    main guard's body, class bodies and functions aside)."""
    found = [node for node, scope in module.scoped(ast.Import, ast.ImportFrom) if scope.kind == "module"]
    if not found:
        return found
    skipped = [node.body for node, scope in module.scoped(ast.If)
               if scope.kind == "module" and (_is_type_checking(node.test) or is_main_guard(node.test))]
    lines = _lines_of(skipped)
    return [node for node in found if node.lineno not in lines]


class HeavyModuleImport(Rule):
    name = "heavy-module-import"
    summary = "A heavy library (torch, lightning, wandb, ...) imported at module scope of a command-line entry module."
    remedy = Remedy("Import heavy libraries where they are used", "start-up", "low", 10,
                    measured_saving="s per start-up")
    rationale = (
        "An entry module parses a command line or composes a Hydra config before it does any real work, so "
        "`--help`, `--cfg job` and a mistyped override should answer in a fraction of a second. A module-scope "
        "`import torch` (or lightning, wandb, transformers) makes every one of them wait seconds first: in the "
        "refactor this rule comes from, start-up fell from 85.8 s to 3.25 s once those imports moved into the "
        "function that trains. A library module that is not an entry point is not flagged."
    )
    advice = (
        "Import the library inside the function that uses it (the Hydra task function, the command "
        "handler), or move the work into a module that the entry function imports, so that `--help` and "
        "config errors come back fast. `audit scan --measure-imports` measures what the module's import costs."
    )
    bad_example = '''
import hydra
import torch

@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg):
    model = torch.nn.Linear(cfg.width, 1)
'''
    good_example = '''
import hydra

@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg):
    import torch

    model = torch.nn.Linear(cfg.width, 1)
'''
    options = (
        Option("heavy-modules", HEAVY_MODULES, "top-level packages that are slow to import", string_list),
        Option("console-scripts", (), "entry points (`pkg.module:function`) whose function makes its module an "
               "entry module; where [tool.audit] does not set it, the `[project.scripts]` of the nearest "
               "`pyproject.toml` above the scanned paths", string_list, from_project=console_scripts_of),
    )
    fix_safety = FixSafety(
        "none",
        "No automatic fix: moving an import into a function changes when its side effects run.",
    )
    references = (
        "https://docs.python.org/3/using/cmdline.html#cmdoption-X",
    )
    status = "preview"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        heavy = frozenset(options["heavy-modules"])
        if heavy.intersection(PurePath(module.path).parts[:-1]):
            return  # a module inside a heavy package pays for that package on import whatever it does
        flagged = [(node, names) for node in _module_scope_imports(module) if (names := _heavy_names(node, heavy))]
        if not flagged or not is_entry_module(module, options["console-scripts"]):
            return
        for node, names in flagged:
            shown = ", ".join(f"`{name}`" for name in names)
            yield module.finding(
                self.name, node,
                f"module-scope import of {shown} in an entry module: `--help` and config errors wait for it; "
                "import it where it is used")
