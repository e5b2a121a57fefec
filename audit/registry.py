"""Finds the rules: every ``Rule`` subclass defined in a module of ``audit.rules``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from audit.rule import Option, Rule


@cache
def all_rules() -> tuple[Rule, ...]:
    """One instance of each rule, sorted by name."""
    import audit.rules as package

    found: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__:
                if value.name in found:
                    raise RuntimeError(f"two rules are named {value.name!r}")
                found[value.name] = value()
    return tuple(found[name] for name in sorted(found))


def rule_names() -> frozenset[str]:
    return frozenset(rule.name for rule in all_rules())


def get_rule(name: str) -> Rule | None:
    return next((rule for rule in all_rules() if rule.name == name), None)


def all_options() -> dict[str, Option]:
    """Every rule option by its ``[tool.audit]`` key."""
    return {option.key: option for rule in all_rules() for option in rule.options}
