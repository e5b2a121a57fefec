"""high-complexity: cyclomatic complexity above ``max-complexity``, as radon computes it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from radon.complexity import cc_rank

from audit.metrics import radon_complexity
from audit.model import Finding
from audit.rule import FixSafety, Option, Remedy, Rule, non_negative_int
from audit.source import SourceModule


class HighComplexity(Rule):
    name = "high-complexity"
    summary = "Cyclomatic complexity above `max-complexity` (default 10), computed exactly as `radon cc`."
    remedy = Remedy("Take decisions out of complex functions", "extraction", "medium", 30, caps="complexity")
    rationale = (
        "Every `if`, loop, `except` and boolean operator is another path through the function; past about "
        "ten paths nobody tests them all, and training code with many paths behaves differently on the "
        "cluster than on a laptop because the untested branch is the one that runs there."
    )
    advice = (
        "Move each decision into the configuration (choose the logger, strategy or dataset by config and "
        "build it with one factory call) or into a small helper with a name; delete branches for hardware "
        "or modes nobody runs."
    )
    bad_example = '''
def wandb_enabled(cfg):
    if isinstance(cfg, DictConfig):
        return cfg.get("enabled", True)
    elif isinstance(cfg, dict):
        return cfg.get("enabled", True)
    elif isinstance(cfg, bool):
        return cfg
    elif cfg is not None:
        return bool(cfg)
    return False
'''
    good_example = '''
def build_logger(cfg):
    return LOGGERS[cfg.kind](**cfg.options)
'''
    options = (
        Option("max-complexity", 10, "highest allowed cyclomatic complexity of one function", non_negative_int),
    )
    noqa_codes = frozenset({"C901"})
    example_options = {"max-complexity": 4}
    fix_safety = FixSafety("none", "No automatic fix: reducing complexity is a refactoring.")
    references = (
        "https://docs.astral.sh/ruff/rules/complex-structure/",
        "https://radon.readthedocs.io/en/latest/intro.html#cyclomatic-complexity",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        limit = options["max-complexity"]
        for function in module.functions:
            if function.complexity_bound <= limit:
                continue  # the index's upper bound already clears it: skip the exact count
            value = radon_complexity(function.node)
            if value > limit:
                yield module.finding(
                    self.name, function.node,
                    f"`{function.qualname}` has cyclomatic complexity {value} (rank {cc_rank(value)}, limit {limit})",
                    value=value, threshold=limit, end_line=function.end,
                )
