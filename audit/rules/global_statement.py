"""global-statement: ``global`` inside a function."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.source import SourceModule


class GlobalStatement(Rule):
    name = "global-statement"
    summary = "`global` statement inside a function."
    remedy = Remedy("Replace module globals with explicit state", "quick-wins", "medium", 10, saves="span")
    rationale = (
        "A function that rebinds a module global has an invisible input and output: its behaviour depends on "
        "what ran before it, in this process and (with DDP or DataLoader workers) in others. Tests must reset "
        "the global, and two trainers in one process interfere."
    )
    advice = (
        "Pass the value in and return it, or keep it on an object that owns it (the LightningModule, the "
        "DataModule, a small dataclass); for shutdown flags, let Lightning handle the signal."
    )
    bad_example = '''
_trainer = None

def train(cfg):
    global _trainer
    _trainer = Trainer(**cfg.trainer)
'''
    good_example = '''
def train(cfg):
    trainer = Trainer(**cfg.trainer)
    return trainer
'''
    fix_safety = FixSafety(
        "none",
        "No automatic fix: replacing a global with explicit state changes function signatures.",
    )
    references = (
        "https://docs.astral.sh/ruff/rules/global-statement/",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        for statement in module.nodes(ast.Global):
            function = module.enclosing_function(statement.lineno)
            if function is None:
                continue
            names = ", ".join(statement.names)
            yield module.finding(self.name, statement,
                                 f"`global {names}` in `{function.qualname}` shares mutable module state")
