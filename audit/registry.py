"""Finds the rules: every ``Rule`` subclass defined in a module of ``audit.rules``."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from functools import cache

from audit.rule import Option, Rule


class RegistryError(RuntimeError):
    """Two rules clash: the same name, or the same option key."""


@cache
def all_rules() -> tuple[Rule, ...]:
    """One instance of each rule, sorted by name."""
    import audit.rules as package

    classes = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        classes += [value for value in vars(module).values()
                    if isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__]
    return register(classes)


def register(classes: Iterable[type[Rule]]) -> tuple[Rule, ...]:
    """One instance of each rule class, sorted by name; a name or option key declared twice is an error."""
    found: dict[str, Rule] = {}
    option_owner: dict[str, str] = {}
    for rule_class in classes:
        if rule_class.name in found:
            raise RegistryError(f"two rules are named {rule_class.name!r}")
        for option in rule_class.options:
            if option.key in option_owner:
                raise RegistryError(f"rules {option_owner[option.key]!r} and {rule_class.name!r} both declare "
                                    f"the option {option.key!r}")
            option_owner[option.key] = rule_class.name
        found[rule_class.name] = rule_class()
    return tuple(found[name] for name in sorted(found))


def rule_names() -> frozenset[str]:
    return frozenset(rule.name for rule in all_rules())


def get_rule(name: str) -> Rule | None:
    return next((rule for rule in all_rules() if rule.name == name), None)


def all_options() -> dict[str, Option]:
    """Every rule option by its ``[tool.audit]`` key."""
    return {option.key: option for rule in all_rules() for option in rule.options}
