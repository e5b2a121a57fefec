"""global-signal-handler: ``signal.signal(...)`` that runs when the module is imported."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.astutil import dotted_name, import_time_nodes
from audit.model import Finding
from audit.rule import Remedy, Rule
from audit.source import SourceModule


def _signal_aliases(module: SourceModule) -> tuple[set[str], set[str]]:
    """Names bound to the ``signal`` module, and names bound to ``signal.signal``."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in module.nodes(ast.Import, ast.ImportFrom):
        from_signal = isinstance(node, ast.ImportFrom) and node.module == "signal" and not node.level
        target = functions if from_signal else modules
        if isinstance(node, ast.Import) or from_signal:
            target.update(alias.asname or alias.name for alias in node.names if alias.name == "signal")
    return modules, functions


def _is_signal_call(node: ast.AST, modules: set[str], functions: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in functions
    return (isinstance(func, ast.Attribute) and func.attr == "signal"
            and isinstance(func.value, ast.Name) and func.value.id in modules)


def _handler_name(call: ast.Call) -> str:
    handler = call.args[1] if len(call.args) > 1 else next(
        (keyword.value for keyword in call.keywords if keyword.arg == "handler"), None)
    if handler is None:
        return "?"
    if isinstance(handler, ast.Lambda):
        return "<lambda>"
    return dotted_name(handler) or ast.unparse(handler)


class GlobalSignalHandler(Rule):
    name = "global-signal-handler"
    summary = "`signal.signal(...)` called at import time."
    remedy = Remedy("Remove import-time signal handlers", "quick-wins", "low", 15, saves="span")
    rationale = (
        "Lightning already handles SIGINT and SIGTERM (graceful stop, checkpoint on SLURM pre-emption). A "
        "handler installed at import time replaces that for every program that imports the module: a test "
        "runner, a notebook, a Streamlit UI, a DataLoader worker. It also needs global state to reach the "
        "objects it wants to clean up."
    )
    advice = (
        "Delete the handler and let Lightning handle the signal; to resume after an interruption, save "
        "checkpoints (`ModelCheckpoint(save_last=True)`, `OnExceptionCheckpoint`) and restart with "
        "`ckpt_path=\"last\"`. If a handler is truly needed, install it inside the entry function."
    )
    bad_example = '''
import signal

def on_signal(signum, frame):
    sys.exit(1)

signal.signal(signal.SIGTERM, on_signal)
'''
    good_example = '''
trainer = Trainer(callbacks=[ModelCheckpoint(save_last=True), OnExceptionCheckpoint(ckpt_dir)])
trainer.fit(model, datamodule=datamodule, ckpt_path="last")
'''

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        modules, functions = _signal_aliases(module)
        if not modules and not functions:
            return
        definitions = {info.qualname: (info.start, info.end) for info in module.functions}
        for node in import_time_nodes(module.tree.body):
            if _is_signal_call(node, modules, functions):
                handler = _handler_name(node)
                yield module.finding(
                    self.name, node,
                    f"import-time `signal.signal` installs `{handler}` for every importer; "
                    "Lightning already handles SIGINT/SIGTERM",
                    related=definitions.get(handler),
                )
