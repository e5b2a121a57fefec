"""silent-except: a handler that only passes, continues, prints or logs."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.astutil import caught_names
from audit.model import Finding
from audit.rule import FixSafety, Option, Remedy, Rule, string_list
from audit.semantic import SemanticModel
from audit.source import SourceModule

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
# Loggers by name (``logger``, ``self.log``) or qualified name, and the factories that return one.
LOGGER_OBJECTS = ("logging", "log", "logger", "_log", "_logger", "LOG", "LOGGER", "_LOG", "_LOGGER", "root_logger",
                  "logging.getLogger", "absl.logging", "loguru.logger", "structlog.get_logger",
                  "torch._logging.getArtifactLogger")


class _Calls:
    """What a call in a handler does, asked of the shared semantic model only when a log method is called."""

    def __init__(self, module: SourceModule, logger_objects: frozenset[str]) -> None:
        self.module = module
        self.logger_objects = logger_objects

    @property
    def semantic(self) -> SemanticModel:
        return self.module.semantic

    def action(self, call: ast.expr) -> str | None:
        """The kind of call: "print", "log", or None for any other."""
        if not isinstance(call, ast.Call):
            return None
        if isinstance(call.func, ast.Name):
            return "print" if call.func.id == "print" else None
        if isinstance(call.func, ast.Attribute) and call.func.attr in LOG_METHODS:
            return "log" if self.semantic.is_logger(call.func.value, self.logger_objects) else None
        return None


def silent_actions(statements: list[ast.stmt], calls: _Calls) -> set[str] | None:
    """What a block that only passes, continues, prints or logs does; None when it does anything else.

    The result holds "continue", "print" and "log" (empty: it only passes). An ``if``
    whose branches are themselves silent counts as what they do (conditional logging
    is logging).
    """
    actions: set[str] = set()
    pending = list(statements)
    while pending:
        statement = pending.pop()
        if isinstance(statement, ast.Continue):
            actions.add("continue")
        elif isinstance(statement, ast.If):
            pending.extend([*statement.body, *statement.orelse])
        elif isinstance(statement, ast.Expr):
            value = statement.value
            action = calls.action(value)
            if action is not None:
                actions.add(action)
            elif not (isinstance(value, ast.Constant) and (value.value is Ellipsis or isinstance(value.value, str))):
                return None
        elif not isinstance(statement, ast.Pass):
            return None
    return actions


def describe(actions: set[str]) -> str:
    """``only logs and continues``, ``only passes``: what the handler does, in words."""
    verbs = [verb for action, verb in (("log", "logs"), ("print", "prints"), ("continue", "continues"))
             if action in actions]
    if not verbs:
        return "only passes"
    return "only " + (verbs[0] if len(verbs) == 1 else ", ".join(verbs[:-1]) + " and " + verbs[-1])


def _is_allowed(handler: ast.ExceptHandler, allowed: set[str]) -> bool:
    """Every type the handler catches is in ``silent-except-allow``."""
    names = caught_names(handler)
    return bool(names) and all(name.rsplit(".", 1)[-1] in allowed for name in names)


class SilentExcept(Rule):
    name = "silent-except"
    summary = "Exception handler that only passes, continues, prints or logs."
    remedy = Remedy("Handle or remove silent exception handlers", "error-handling", "medium", 10, saves="handler", harm="high")
    rationale = (
        "A handler that swallows the error leaves the program in a state nobody designed: the directory was "
        "not created, the config was not resolved, the checkpoint was not written, and training carries on "
        "as if it had been. The log line, if anyone reads it, is far from the failure it caused."
    )
    advice = (
        "Decide what the failure means: if it is expected, handle it (fall back to a real default, return a "
        "value the caller checks); if not, remove the `try` or re-raise. Optional imports belong in "
        "`silent-except-allow`."
    )
    bad_example = '''
try:
    checkpoint = torch.load(path)
except FileNotFoundError:
    pass
model.load_state_dict(checkpoint)  # NameError later, far from the cause
'''
    good_example = '''
checkpoint = torch.load(path) if path.exists() else None
if checkpoint is not None:
    model.load_state_dict(checkpoint)
'''
    options = (
        Option("silent-except-allow", ("ImportError", "ModuleNotFoundError"),
               "exception types whose handlers may stay silent", string_list),
        Option("logger-objects", LOGGER_OBJECTS,
               "loggers: a name (`logger` matches `logger` and `self.logger`) or a qualified name "
               "(`loguru.logger`), and the functions that return one (`logging.getLogger`)", string_list),
    )
    fix_safety = FixSafety(
        "none",
        "No automatic fix: whether to handle, narrow or delete the handler is the author's decision.",
    )
    references = (
        "https://docs.astral.sh/ruff/rules/try-except-pass/",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        allowed = set(options["silent-except-allow"])
        calls = _Calls(module, frozenset(options["logger-objects"]))
        for statement in module.nodes(ast.Try, ast.TryStar):
            lone = len(statement.handlers) == 1 and not statement.orelse and not statement.finalbody
            for handler in statement.handlers:
                actions = silent_actions(handler.body, calls)
                if actions is None or _is_allowed(handler, allowed):
                    continue
                caught = "bare `except:`" if handler.type is None else f"`except {ast.unparse(handler.type)}`"
                yield module.finding(self.name, handler, f"{caught} hides the error: the handler {describe(actions)}",
                                     end_line=handler.end_lineno,
                                     related=(statement.lineno, statement.lineno) if lone else None)
