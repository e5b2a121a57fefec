"""global-signal-handler: ``signal.signal(...)`` that runs when the module is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.astutil import dotted_name, import_time_nodes
from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.source import SourceModule

LIGHTNING_MODULES = frozenset({"lightning", "pytorch_lightning", "lightning_fabric"})


def uses_lightning(module: SourceModule) -> bool:
    """Whether the module imports Lightning (``lightning``, ``pytorch_lightning``, ``lightning_fabric``)."""
    return module.semantic.imports_module(*LIGHTNING_MODULES)


def _handler_name(call: ast.Call) -> str:
    handler = call.args[1] if len(call.args) > 1 else next(
        (keyword.value for keyword in call.keywords if keyword.arg == "handler"), None)
    if handler is None:
        return "?"
    if isinstance(handler, ast.Lambda):
        return "<lambda>"
    return dotted_name(handler) or ast.unparse(handler)


LIGHTNING_ADVICE = (
    "this module uses Lightning, whose Trainer installs its own SIGTERM and SLURM-requeue handling: delete this "
    "handler and resume from checkpoints (`ModelCheckpoint(save_last=True)`, `ckpt_path=\"last\"`)"
)
PLAIN_ADVICE = (
    "install it inside the entry function instead, keep the previous handler `signal.signal` returns, and "
    "restore it on exit"
)


class GlobalSignalHandler(Rule):
    name = "global-signal-handler"
    summary = "`signal.signal(...)` called at import time."
    remedy = Remedy("Remove import-time signal handlers", "quick-wins", "low", 15, saves="span")
    rationale = (
        "A handler installed at import time replaces the previous one for every program that imports the "
        "module: a test runner, a notebook, a UI, a DataLoader worker, or a training framework that installs "
        "its own handler for graceful stop and pre-emption. It also needs global state to reach the objects "
        "it wants to clean up."
    )
    advice = (
        "Install the handler inside the entry function (`main()`), keep the previous handler that "
        "`signal.signal` returns, and restore it when the function ends. Where the training framework already "
        "handles the signal (the finding says so when the module imports it), delete the handler and let the "
        "framework do it."
    )
    bad_example = '''
import signal

def on_signal(signum, frame):
    sys.exit(1)

signal.signal(signal.SIGTERM, on_signal)
'''
    good_example = '''
def main():
    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        train()
    finally:
        signal.signal(signal.SIGTERM, previous)
'''
    fix_safety = FixSafety(
        "none",
        "No automatic fix: the handler has to move into the entry function, which only the author can name.",
    )
    references = (
        "https://docs.python.org/3/library/signal.html",
        "https://lightning.ai/docs/pytorch/stable/clouds/cluster_advanced.html",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        if "signal" not in module.source:
            return  # no name can reach signal.signal: skip building the semantic model
        semantic = module.semantic
        definitions = {info.qualname: (info.start, info.end) for info in module.functions}
        advice = LIGHTNING_ADVICE if uses_lightning(module) else PLAIN_ADVICE
        for node in import_time_nodes(module.tree.body):
            if isinstance(node, ast.Call) and semantic.qualified_name(node.func) == "signal.signal":
                handler = _handler_name(node)
                yield module.finding(self.name, node,
                                     f"import-time `signal.signal` installs `{handler}` for every importer; {advice}",
                                     related=definitions.get(handler))
