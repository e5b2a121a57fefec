"""manual-device-scaling: trainer devices/strategy/batch size written from ``torch.cuda.device_count()``."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.semantic import SemanticModel
from audit.source import SourceModule

DEVICE_QUERIES = frozenset({"torch.cuda.device_count", "torch.cuda.is_available"})
_QUERY_NAMES = frozenset({"device_count", "is_available"})
SETTINGS = frozenset({"devices", "gpus", "num_devices", "strategy", "batch_size", "num_nodes"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _setting_key(target: ast.expr) -> str | None:
    """``x.devices`` or ``x["devices"]`` -> "devices" when it names a trainer setting."""
    if isinstance(target, ast.Attribute):
        key = target.attr
    elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        key = target.slice.value
    else:
        return None
    return key if key in SETTINGS else None


class _Body:
    """One function (or the module's top level): its device queries, tainted names and setting writes."""

    def __init__(self, statements: list[ast.stmt], semantic: SemanticModel) -> None:
        self.semantic = semantic
        self.queries: list[ast.Call] = []
        self.tainted: set[str] = set()
        self.writes: list[ast.AST] = []
        self._visit(statements, guarded=False)

    def _depends(self, expr: ast.AST | None) -> bool:
        """Whether ``expr`` reads a device query or a name assigned from one."""
        if expr is None:
            return False
        for node in ast.walk(expr):
            if isinstance(node, ast.Name) and node.id in self.tainted:
                return True
            if isinstance(node, ast.Call) and self.semantic.qualified_name(node.func) in DEVICE_QUERIES:
                self.queries.append(node)
                return True
        return False

    def _visit(self, statements: list[ast.stmt], guarded: bool) -> None:
        for statement in statements:
            if isinstance(statement, (*_FUNCTIONS, ast.ClassDef)):
                continue
            if isinstance(statement, (ast.If, ast.While)):
                inner = guarded | self._depends(statement.test)
                self._visit(statement.body, inner)
                self._visit(statement.orelse, inner)
                continue
            if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                self._assignment(statement, guarded)
            else:  # the statement's own expressions; nested blocks follow
                for child in ast.iter_child_nodes(statement):
                    if not isinstance(child, (ast.stmt, ast.excepthandler)):
                        self._calls(child, guarded)
            for name in ("body", "orelse", "finalbody"):
                self._visit(getattr(statement, name, []), guarded)
            for handler in getattr(statement, "handlers", []):
                self._visit(handler.body, guarded)

    def _assignment(self, statement: ast.Assign | ast.AugAssign | ast.AnnAssign, guarded: bool) -> None:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        depends = self._depends(statement.value)
        for target in targets:
            if _setting_key(target) and (depends or guarded):
                self.writes.append(statement)
            elif isinstance(target, ast.Name) and depends:
                self.tainted.add(target.id)
        self._calls(statement.value, guarded)

    def _calls(self, root: ast.AST | None, guarded: bool) -> None:
        """``Trainer(devices=torch.cuda.device_count())`` and the like."""
        if root is None:
            return
        for node in ast.walk(root):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg in SETTINGS and (self._depends(keyword.value) or guarded):
                        self.writes.append(keyword)


def _call_name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _names_from_torch(module: SourceModule) -> set[str]:
    """What ``from torch.cuda import device_count as dc`` binds."""
    found = set()
    for node in module.nodes(ast.ImportFrom):
        if node.module == "torch.cuda":
            found.update(alias.asname or alias.name for alias in node.names if alias.name in _QUERY_NAMES)
    return found


def _writes_settings(module: SourceModule) -> bool:
    """Some keyword argument, attribute or subscript named like a trainer setting is written."""
    if any(keyword.arg in SETTINGS for keyword in module.nodes(ast.keyword)):
        return True
    for node in module.nodes(ast.Assign, ast.AugAssign, ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(map(_setting_key, targets)):
            return True
    return False


def _device_queries(module: SourceModule) -> list[ast.Call]:
    """Calls of ``torch.cuda.device_count``/``is_available`` under any alias (cheap tests first)."""
    source = module.source
    if "cuda" not in source or not any(key in source for key in SETTINGS) or not _writes_settings(module):
        return []
    names = _QUERY_NAMES | _names_from_torch(module)  # ``from torch.cuda import device_count as dc``
    calls = [call for call in module.nodes(ast.Call) if _call_name(call) in names]
    return [call for call in calls if module.semantic.qualified_name(call.func) in DEVICE_QUERIES]


def _bodies_with_queries(module: SourceModule) -> list[list[ast.stmt]]:
    """The module's top level and the functions that call a device query directly."""
    bodies: dict[int, list[ast.stmt]] = {}
    for call in _device_queries(module):
        function = module.enclosing_function(call.lineno)
        node = function.node if function is not None else module.tree
        bodies[id(node)] = node.body
    return list(bodies.values())


class ManualDeviceScaling(Rule):
    name = "manual-device-scaling"
    summary = "Trainer devices, strategy or batch size set by hand from `torch.cuda.device_count()`."
    remedy = Remedy("Let Lightning pick devices and strategy", "quick-wins", "low", 30, saves="span")
    rationale = (
        "Lightning already does this: `Trainer(accelerator=\"auto\", devices=\"auto\", strategy=\"auto\")` "
        "counts the visible GPUs and picks DDP when there are several. Hand-written scaling (28 lines in the "
        "trainer this rule comes from) duplicates it with its own config keys next to the trainer's, is "
        "untested on the machines people actually have, and silently overrides what the config asked for."
    )
    advice = (
        "Delete the block and set `trainer.devices` / `trainer.strategy` in the config (`auto` by default; "
        "`devices=2 strategy=ddp` as an override for a multi-GPU run). Scale the batch size from "
        "`trainer.world_size` inside the LightningModule or DataModule if you must."
    )
    bad_example = '''
import torch

def configure(cfg):
    if torch.cuda.is_available():
        gpus = torch.cuda.device_count()
        cfg.trainer.devices = gpus
        cfg.trainer.strategy = "ddp"
'''
    good_example = '''
import torch

def configure(cfg):
    accelerator = "gpu" if torch.cuda.is_available() else "cpu"
    return Trainer(accelerator=accelerator, devices=cfg.trainer.devices, strategy=cfg.trainer.strategy)
'''
    fix_safety = FixSafety("none", "No automatic fix: the change needs a decision only the author can make.")
    references = (
        "https://lightning.ai/docs/pytorch/stable/common/trainer.html#devices",
    )
    status = "preview"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        for statements in _bodies_with_queries(module):
            body = _Body(statements, module.semantic)
            if not body.writes or not body.queries:
                continue
            first = min(body.queries, key=lambda node: (node.lineno, node.col_offset))
            last = max(write.end_lineno or write.lineno for write in body.writes)
            yield module.finding(
                self.name, first,
                f"devices/strategy/batch size written from `{ast.unparse(first.func)}()`: "
                "Lightning's `devices=\"auto\"` and `strategy` already do this",
                end_line=max(last, first.end_lineno or first.lineno))
