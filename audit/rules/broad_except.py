"""broad-except: ``except:``, ``except Exception`` or ``except BaseException`` that does not re-raise."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.astutil import is_broad, leaving_statements, propagates
from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.source import SourceModule


def _returns_fallback(handler: ast.ExceptHandler) -> bool:
    """A ``return`` of a value other than ``None`` that leaves the handler."""
    return any(isinstance(node, ast.Return) and node.value is not None
               and not (isinstance(node.value, ast.Constant) and node.value.value is None)
               for node in leaving_statements(handler.body))


def message(handler: ast.ExceptHandler) -> str:
    """What the handler does with the error it catches."""
    caught = "bare `except:`" if handler.type is None else f"`except {ast.unparse(handler.type)}`"
    if _returns_fallback(handler):
        return f"{caught} returns a fallback value for every error, bugs included: callers cannot tell failure from a result"
    return f"{caught} drops every error, bugs included, and carries on"


class BroadExcept(Rule):
    name = "broad-except"
    summary = "Bare `except:` or `except Exception`/`BaseException` that does not re-raise."
    remedy = Remedy("Narrow broad exception handlers", "error-handling", "medium", 15, harm="high")
    rationale = (
        "A broad handler catches the bugs along with the expected failure: a typo in a config key, a CUDA "
        "out-of-memory error or a KeyboardInterrupt (for bare `except:`) becomes a warning and the run goes "
        "on with a half-built object, so the real error surfaces hours later, somewhere else."
    )
    advice = (
        "Catch the specific exception the code expects (`FileNotFoundError`, `KeyError`, omegaconf's "
        "`InterpolationResolutionError`) or delete the `try` and let it fail fast; if the handler must be "
        "broad (a top-level crash reporter), re-raise after logging. A handler that returns a fallback value "
        "should return it only for the expected failure, so that a bug still surfaces."
    )
    bad_example = '''
try:
    os.makedirs(cfg.paths.log_dir, exist_ok=True)
except Exception as error:
    print(f"Warning: could not create {cfg.paths.log_dir}: {error}")
'''
    good_example = '''
os.makedirs(cfg.paths.log_dir, exist_ok=True)  # exist_ok already covers the expected case
'''
    noqa_codes = frozenset({"BLE001", "E722"})
    fix_safety = FixSafety(
        "none",
        "No automatic fix: which exceptions the code expects is a decision only the author can make.",
    )
    references = (
        "https://docs.astral.sh/ruff/rules/blind-except/",
        "https://docs.python.org/3/tutorial/errors.html#handling-exceptions",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        for handler in module.nodes(ast.ExceptHandler):
            if not is_broad(handler) or propagates(handler.body):
                continue  # narrow, or re-raised: the error still reaches someone
            yield module.finding(self.name, handler, message(handler), end_line=handler.end_lineno)
