"""isinstance-ladder: an if/elif chain that tests the same expression with ``isinstance`` again and again."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import ConfigError, FixSafety, Option, Remedy, Rule, non_negative_int
from audit.source import SourceModule


def boolean(key: str, value: Any) -> bool:
    """Parse a true/false option."""
    if not isinstance(value, bool):
        raise ConfigError(f"`{key}` must be true or false, got {value!r}")
    return value


def _tested(test: ast.expr) -> str | None:
    """A key for the expression ``isinstance(x, ...)`` tests (also as the first operand of ``and``)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        test = test.values[0]
    if (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
            and len(test.args) == 2):
        return ast.dump(test.args[0])
    return None


def _ladder(chain: list[ast.If], length: int) -> tuple[ast.expr, list[ast.If]] | None:
    """The most tested expression and its ``isinstance`` branches, when there are at least ``length``."""
    tested = [(_tested(node.test), node) for node in chain]
    counts = Counter(key for key, _ in tested if key)
    if not counts:
        return None
    key, count = counts.most_common(1)[0]
    if count < length:
        return None
    branches = [node for node_key, node in tested if node_key == key]
    test = branches[0].test
    call = test.values[0] if isinstance(test, ast.BoolOp) else test
    return call.args[0], branches


def _has_duplicate_bodies(chain: list[ast.If], branches: list[ast.If]) -> bool:
    """Two plain ``isinstance`` branches that do exactly the same thing with only plain ``isinstance`` tests
    between them, so that one tuple test can replace both without reordering other checks."""
    plain = {id(branch) for branch in branches if isinstance(branch.test, ast.Call)}
    seen: set[tuple[str, ...]] = set()
    for node in chain:
        if id(node) not in plain:
            seen.clear()  # a condition of another kind: merging across it could change which branch runs
            continue
        body = tuple(ast.dump(statement) for statement in node.body)
        if body in seen:
            return True
        seen.add(body)
    return False


def _chain_heads(module: SourceModule) -> list[ast.If]:
    """Every ``if`` that starts an if/elif chain (has an ``elif`` or ``else``, and is no ``elif`` itself)."""
    ifs = module.nodes(ast.If)
    elifs = {id(node.orelse[0]) for node in ifs if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)}
    return [node for node in ifs if node.orelse and id(node) not in elifs]


def _chain(head: ast.If) -> list[ast.If]:
    """``head`` and each ``elif`` that follows it."""
    chain = [head]
    while len(chain[-1].orelse) == 1 and isinstance(chain[-1].orelse[0], ast.If):
        chain.append(chain[-1].orelse[0])
    return chain


class IsinstanceLadder(Rule):
    name = "isinstance-ladder"
    summary = ("An if/elif chain that tests one expression with `isinstance` three or more times, two branches "
               "doing the same thing.")
    remedy = Remedy("Normalise the value once instead of a type ladder", "extraction", "low", 20, harm="low")
    rationale = (
        "A ladder of `isinstance` tests on one value means the value can arrive in too many shapes: the "
        "logger switch this rule comes from handled a `DictConfig`, a `dict`, a `bool`, something truthy and "
        "`None`, with two branches doing the same thing. Every reader has to check which branch applies, and "
        "every new shape adds a branch instead of being rejected where the value enters. (Flagged by default "
        "only when two branches could merge into one tuple test: dispatch whose branches all differ is "
        "usually the design.)"
    )
    advice = (
        "Decide the one type the value should have and convert it where it enters (a typed config field, "
        "`OmegaConf.to_container`, a small factory); merge branches that do the same thing "
        "(`isinstance(x, (dict, DictConfig))`); for real type dispatch use `functools.singledispatch` or a "
        "mapping from type to handler."
    )
    bad_example = '''
if isinstance(wandb_cfg, DictConfig):
    enabled = wandb_cfg.get("enabled", True)
elif isinstance(wandb_cfg, dict):
    enabled = wandb_cfg.get("enabled", True)
elif isinstance(wandb_cfg, bool):
    enabled = wandb_cfg
'''
    good_example = '''
wandb_cfg = OmegaConf.to_container(cfg.logger.wandb) if cfg.logger.get("wandb") else {}
enabled = bool(wandb_cfg.get("enabled", False))
'''
    options = (
        Option("isinstance-ladder-length", 3, "isinstance tests of one expression in one chain that are "
               "flagged", non_negative_int),
        Option("isinstance-ladder-duplicates", True, "flag a ladder only when two of its branches have the same "
               "body (false: every ladder)", boolean),
    )
    fix_safety = FixSafety("none", "No automatic fix: normalising the value is a refactoring.")
    references = (
        "https://docs.python.org/3/library/functools.html#functools.singledispatch",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        if "isinstance" not in module.source:
            return
        length, duplicates = options["isinstance-ladder-length"], options["isinstance-ladder-duplicates"]
        for head in _chain_heads(module):
            chain = _chain(head)
            ladder = _ladder(chain, length)
            if ladder is None:
                continue
            subject, branches = ladder
            if duplicates and not _has_duplicate_bodies(chain, branches):
                continue
            yield module.finding(
                self.name, head, f"{len(branches)} `isinstance` tests of `{ast.unparse(subject)}` in one if/elif chain",
                end_line=branches[-1].end_lineno)
