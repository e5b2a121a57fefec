"""broad-except: ``except:``, ``except Exception`` or ``except BaseException`` that does not re-raise."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.astutil import caught_names, contains_raise
from audit.model import Finding
from audit.rule import Remedy, Rule
from audit.source import SourceModule

BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})


class BroadExcept(Rule):
    name = "broad-except"
    summary = "Bare `except:` or `except Exception`/`BaseException` that does not re-raise."
    remedy = Remedy("Narrow broad exception handlers", "error-handling", "medium", 15)
    rationale = (
        "A broad handler catches the bugs along with the expected failure: a typo in a config key, a CUDA "
        "out-of-memory error or a KeyboardInterrupt (for bare `except:`) becomes a warning and the run goes "
        "on with a half-built object, so the real error surfaces hours later, somewhere else."
    )
    advice = (
        "Catch the specific exception the code expects (`FileNotFoundError`, `KeyError`, omegaconf's "
        "`InterpolationResolutionError`) or delete the `try` and let it fail fast; if the handler must be "
        "broad (a top-level crash reporter), re-raise after logging."
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

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        for handler in module.nodes(ast.ExceptHandler):
            names = caught_names(handler)
            if names is not None and not BROAD.intersection(names):
                continue
            if contains_raise(handler.body):
                continue
            caught = "bare `except:`" if names is None else f"`except {ast.unparse(handler.type)}`"
            yield module.finding(self.name, handler, f"{caught} swallows every error, bugs included",
                                 end_line=handler.end_lineno)
