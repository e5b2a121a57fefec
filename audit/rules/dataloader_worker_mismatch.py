"""dataloader-worker-mismatch: ``persistent_workers`` (or ``prefetch_factor``, ``pin_memory``) decided from
another worker count than the ``num_workers`` the same ``DataLoader`` gets."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.source import SourceModule

DEPENDENT = ("persistent_workers", "prefetch_factor", "pin_memory")
_NOT_COUNTS = ("persistent", "prefetch", "pin")


def _worker_counts(expr: ast.AST) -> list[ast.expr]:
    """Names and attributes in ``expr`` that hold a worker count (``val_workers``, ``cfg.num_workers``)."""
    found: list[ast.expr] = []
    for node in ast.walk(expr):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        lowered = (name or "").lower()
        if "worker" in lowered and not any(word in lowered for word in _NOT_COUNTS):
            found.append(node)
    return found


def _is_dataloader(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name == "DataLoader"


def _mismatches(call: ast.Call) -> Iterator[tuple[str, ast.expr, ast.expr, ast.expr | None]]:
    """(flag, its value, the other worker count it tests, ``num_workers``) for each mismatched flag."""
    if any(keyword.arg is None for keyword in call.keywords):
        return  # ``**kwargs`` may carry num_workers
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    workers = keywords.get("num_workers")
    passed = {ast.dump(node) for node in ast.walk(workers)} if workers is not None else set()
    for flag in filter(keywords.__contains__, DEPENDENT):
        other = [node for node in _worker_counts(keywords[flag]) if ast.dump(node) not in passed]
        if other:
            yield flag, keywords[flag], other[0], workers


class DataloaderWorkerMismatch(Rule):
    name = "dataloader-worker-mismatch"
    summary = "`persistent_workers`/`prefetch_factor`/`pin_memory` tests another worker count than `num_workers`."
    remedy = Remedy("Derive DataLoader flags from the worker count it gets", "quick-wins", "low", 5, harm="high")
    rationale = (
        "`persistent_workers` and `prefetch_factor` only mean something when the loader has workers, so "
        "code guards them with a worker-count test. Testing a different count than the one passed as "
        "`num_workers` (the training count for a validation loader that got half of it) turns the guard "
        "into the wrong answer: with `num_workers=0` and `persistent_workers=True` the DataLoader raises, "
        "and otherwise workers are kept alive, or torn down every epoch, against the config's intent."
    )
    advice = (
        "Compute the worker count once, pass it as `num_workers`, and test that same variable: "
        "`persistent_workers=workers > 0`."
    )
    bad_example = '''
val_workers = max(1, cfg.num_workers // 2) if cfg.num_workers > 0 else 0
val_loader = DataLoader(val_set, num_workers=val_workers,
                        persistent_workers=cfg.persistent_workers and cfg.num_workers > 0)
'''
    good_example = '''
val_workers = max(1, cfg.num_workers // 2) if cfg.num_workers > 0 else 0
val_loader = DataLoader(val_set, num_workers=val_workers,
                        persistent_workers=cfg.persistent_workers and val_workers > 0)
'''
    fix_safety = FixSafety("none", "No automatic fix: the change needs a decision only the author can make.")
    references = (
        "https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader",
    )
    status = "preview"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        if "DataLoader" not in module.source:
            return
        for call in module.nodes(ast.Call):
            if _is_dataloader(call):
                for flag, value, other, workers in _mismatches(call):
                    given = ast.unparse(workers) if workers is not None else "0 (the default)"
                    yield module.finding(self.name, value,
                                         f"`{flag}` tests `{ast.unparse(other)}`, but this loader is given `num_workers={given}`")
