"""duplicate-checkpoint-save: the same object saved twice on one path through a function."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.semantic import SemanticModel
from audit.source import SourceModule

SAVE_METHODS = frozenset({"save_checkpoint", "save_pretrained"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# Statement fields whose blocks exclude one another on one run (``if`` arms, ``except`` handlers, ``match`` cases).
_Arm = tuple[int, str]


def _saved_object(call: ast.Call, semantic: SemanticModel) -> str | None:
    """Source text of what ``call`` saves: ``torch.save(obj, ...)``'s ``obj``, ``obj.save_checkpoint(...)``'s ``obj``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in SAVE_METHODS:
        return ast.unparse(func.value)
    if call.args and semantic.qualified_name(func) == "torch.save":
        return ast.unparse(call.args[0])
    return None


class _Saves:
    """The save calls of one function body, each with the exclusive branches it sits in."""

    def __init__(self, semantic: SemanticModel) -> None:
        self.semantic = semantic
        self.found: list[tuple[ast.Call, str, tuple[_Arm, ...]]] = []
        self.stores: list[tuple[str, int]] = []

    def visit(self, statements: list[ast.stmt], arms: tuple[_Arm, ...]) -> None:
        for statement in statements:
            if isinstance(statement, _SCOPES):
                continue
            exclusive = self._exclusive_blocks(statement)
            if exclusive is None:
                for child in ast.iter_child_nodes(statement):
                    if not isinstance(child, ast.stmt):
                        self._expression(child, arms)
                for name in ("body", "orelse"):
                    self.visit(getattr(statement, name, []), arms)
                continue
            shared, arms_blocks = exclusive
            for root in shared:
                self._expression(root, arms)
            for arm, block in arms_blocks:
                self.visit(block, (*arms, (id(statement), arm)) if arm else arms)

    @staticmethod
    def _exclusive_blocks(statement: ast.stmt) -> tuple[list[ast.AST], list[tuple[str, list[ast.stmt]]]] | None:
        """For ``if``, ``try`` and ``match``: the header expressions and each block with its arm ("" = no arm)."""
        if isinstance(statement, ast.If):
            return [statement.test], [("body", statement.body), ("orelse", statement.orelse)]
        if isinstance(statement, (ast.Try, ast.TryStar)):
            handlers = [(f"handler{index}", handler.body) for index, handler in enumerate(statement.handlers)]
            # A handler runs when the body failed: a save there replaces the body's, it does not repeat it.
            return [], [("body", statement.body + statement.orelse), *handlers, ("", statement.finalbody)]
        if isinstance(statement, ast.Match):
            return [statement.subject], [(f"case{index}", case.body) for index, case in enumerate(statement.cases)]
        return None

    def _expression(self, root: ast.AST, arms: tuple[_Arm, ...]) -> None:
        for node in ast.walk(root):
            if isinstance(node, ast.Call):
                saved = _saved_object(node, self.semantic)
                if saved is not None:
                    self.found.append((node, saved, arms))
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.stores.append((node.id, node.lineno))

    def duplicates(self) -> Iterator[tuple[ast.Call, ast.Call, str]]:
        """(first, later, object) for each save of an object already saved on the same path."""
        for index, (later, saved, arms) in enumerate(self.found):
            for first, other, first_arms in self.found[:index]:
                if other == saved and _same_path(arms, first_arms) and not self._rebound(saved, first, later):
                    yield first, later, saved
                    break

    def _rebound(self, saved: str, first: ast.Call, later: ast.Call) -> bool:
        """A name in the saved expression is assigned between the two saves (a new object)."""
        names = {node.id for node in ast.walk(ast.parse(saved, mode="eval")) if isinstance(node, ast.Name)}
        return any(name in names and first.lineno <= line <= later.lineno for name, line in self.stores)


def _same_path(left: tuple[_Arm, ...], right: tuple[_Arm, ...]) -> bool:
    """No statement puts the two in different exclusive arms."""
    chosen = dict(left)
    return all(chosen.get(statement, arm) == arm for statement, arm in right)


def _functions_saving_twice(module: SourceModule) -> list[ast.AST]:
    """Functions with at least two calls named like a save (``save``, ``save_checkpoint``, ``save_pretrained``)."""
    counts: dict[int, int] = {}
    functions: dict[int, ast.AST] = {}
    for call in module.nodes(ast.Call):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in SAVE_METHODS or "save" in name:
            function = module.enclosing_function(call.lineno)
            if function is not None:
                counts[id(function.node)] = counts.get(id(function.node), 0) + 1
                functions[id(function.node)] = function.node
    return [functions[key] for key, count in counts.items() if count > 1]


class DuplicateCheckpointSave(Rule):
    name = "duplicate-checkpoint-save"
    summary = "The same object saved twice (`torch.save`, `save_checkpoint`, `save_pretrained`) on one path."
    remedy = Remedy("Save each checkpoint once", "quick-wins", "low", 10, saves="span")
    rationale = (
        "A checkpoint written twice costs twice the I/O and twice the disk at every save, and the second "
        "copy is the one nobody maintains: in the trainer this rule comes from, a leftover `.h5` save of the "
        "same weights survived a migration to `.pth` and doubled checkpoint time and storage."
    )
    advice = (
        "Save once; if a second name is needed (`last`, `best`), copy or link the file, or let "
        "`ModelCheckpoint(save_last=True)` keep it."
    )
    bad_example = '''
import torch

def save_best_model(model, ckpt_dir):
    weights = model.state_dict()
    torch.save(weights, ckpt_dir / "best.pth")
    torch.save(weights, ckpt_dir / "cnn_model_best.h5")
'''
    good_example = '''
import torch

def save_best_model(model, ckpt_dir):
    weights = model.state_dict()
    torch.save(weights, ckpt_dir / "best.pth")
'''
    fix_safety = FixSafety(
        "none",
        "No automatic fix: which of the two saves to keep depends on what the code after them expects.",
    )
    references = (
        "https://lightning.ai/docs/pytorch/stable/common/checkpointing_basic.html",
    )
    status = "preview"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        source = module.source
        if "save" not in source:
            return
        if not any(word in source for word in ("torch.save", "save_checkpoint", "save_pretrained", "import save")):
            return
        for function in _functions_saving_twice(module):
            saves = _Saves(module.semantic)
            saves.visit(function.body, ())
            for first, later, saved in saves.duplicates():
                yield module.finding(self.name, later,
                                     f"`{saved}` is saved again (already saved on line {first.lineno})")
