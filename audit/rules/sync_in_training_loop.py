"""sync-in-training-loop: ``.item()``, ``.cpu()``, ``.numpy()`` or ``.tolist()`` on every training step."""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.semantic import SemanticModel
from audit.source import SourceModule

SYNC_METHODS = frozenset({"item", "cpu", "numpy", "tolist"})
_WRAPPERS = frozenset({"enumerate", "tqdm", "iter", "zip", "islice", "track"})
_GUARD_WORDS = ("every", "interval", "freq", "period", "log")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_dataloader(expr: ast.expr, semantic: SemanticModel, hops: int = 3) -> bool:
    """``loader``, ``self.train_loader``, ``DataLoader(...)``, ``dm.train_dataloader()`` or a name bound to one,
    also inside ``enumerate(...)``, ``tqdm(...)`` and the like."""
    while isinstance(expr, ast.Call) and _last_name(expr.func) in _WRAPPERS and expr.args:
        expr = expr.args[0]
    if isinstance(expr, ast.Call):
        return _last_name(expr.func).lower().endswith(("dataloader", "loader"))
    if "loader" in _last_name(expr).lower():
        return True
    if isinstance(expr, ast.Name) and hops:
        binding = semantic.binding_of(expr)
        value = binding.value if binding is not None else None
        return value is not None and _is_dataloader(value, semantic, hops - 1)
    return False


def _is_training_call(node: ast.Call) -> bool:
    """``loss.backward()``, ``self.manual_backward(loss)`` or ``optimizer.step()``."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return False
    return func.attr in {"backward", "manual_backward"} or (
        func.attr == "step" and "optim" in _last_name(func.value).lower())


def _training_lines(module: SourceModule) -> list[int]:
    """Lines of the module's backward passes and optimizer steps, sorted."""
    return sorted(node.lineno for node in module.nodes(ast.Call) if _is_training_call(node))


def _trains(loop: ast.For | ast.AsyncFor, lines: list[int]) -> bool:
    """The loop body runs a backward pass or an optimizer step (one of ``lines`` lies inside it)."""
    index = bisect_left(lines, loop.lineno)
    return index < len(lines) and lines[index] <= (loop.end_lineno or loop.lineno)


def _is_step_guard(test: ast.expr) -> bool:
    """``step % n == 0``, ``if should_log:``, ``batch_idx % cfg.log_every_n_steps``: a branch that runs every Nth step."""
    for node in ast.walk(test):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return True
        if any(word in _last_name(node).lower() for word in _GUARD_WORDS):
            return True
    return False


def _syncs(statements: list[ast.stmt]) -> Iterator[ast.Call]:
    """Sync calls in ``statements`` that run on every step (not in every-Nth-step branches or nested defs)."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, ast.If) and _is_step_guard(node.test):
            stack.extend(node.orelse)
            continue
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SYNC_METHODS
                and not node.args and not node.keywords):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _step_bodies(module: SourceModule) -> list[tuple[list[ast.stmt], str]]:
    """Code that runs once per training step: ``training_step`` methods and training loops over a DataLoader."""
    bodies = [(info.node.body, "in `training_step`") for info in module.functions
              if info.node.name == "training_step" and "." in info.qualname]
    source = module.source
    lines = _training_lines(module) if "backward" in source or ".step(" in source else []
    for loop in module.nodes(ast.For, ast.AsyncFor) if lines else ():
        if _trains(loop, lines) and _is_dataloader(loop.iter, module.semantic):
            bodies.append((loop.body, f"in the loop over `{ast.unparse(loop.iter)}`"))
    return bodies


class SyncInTrainingLoop(Rule):
    name = "sync-in-training-loop"
    summary = "`.item()`, `.cpu()`, `.numpy()` or `.tolist()` on every training step."
    remedy = Remedy("Keep per-step values on the device", "quick-wins", "low", 10)
    rationale = (
        "Each of these copies a tensor to the host, so the CPU waits for every queued GPU kernel before the "
        "next step can be launched: the GPU idles while Python catches up, on every step. One `.item()` "
        "per step to accumulate a running loss is enough to cost a measurable share of throughput."
    )
    advice = (
        "Accumulate on the device (`total += loss.detach()`) and convert once per epoch or per logging "
        "interval; in Lightning, `self.log(\"loss\", loss)` takes the tensor and syncs only when it logs."
    )
    bad_example = '''
for images, labels in train_loader:
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
    running_loss += loss.item()
'''
    good_example = '''
for step, (images, labels) in enumerate(train_loader):
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
    running_loss += loss.detach()
    if step % log_every == 0:
        print(f"loss {loss.item():.4f}")
'''
    fix_safety = FixSafety("none", "No automatic fix: keeping a value on the device changes how it is logged.")
    references = (
        "https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html#avoid-unnecessary-cpu-gpu-synchronization",
    )
    status = "preview"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        source = module.source
        if not any(f".{method}()" in source for method in SYNC_METHODS):
            return
        bodies = _step_bodies(module)
        seen: set[int] = set()
        for statements, where in bodies:
            for call in _syncs(statements):
                if id(call) in seen:
                    continue
                seen.add(id(call))
                yield module.finding(self.name, call, f"`.{call.func.attr}()` {where} waits for the device "
                                     "on every step")
