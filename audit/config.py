"""``[tool.audit]`` in ``pyproject.toml``: finding it, validating it, merging the CLI."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from audit.registry import all_options, rule_names
from audit.rule import ConfigError, string_list

_GENERAL_KEYS = frozenset({"select", "ignore", "exclude", "extend-exclude", "per-file-ignores"})


@dataclass(frozen=True)
class Settings:
    """Everything that decides what one file's analysis yields (picklable)."""

    select: frozenset[str]
    options: dict[str, Any]
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    root: Path = field(default_factory=Path.cwd)

    def relative(self, path: str | Path) -> str:
        """``path`` relative to the config's directory (posix), else as given."""
        absolute = Path(path).absolute()
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def ignored_for(self, path: str) -> frozenset[str]:
        """Rules that ``per-file-ignores`` switches off for this path."""
        if not self.per_file_ignores:
            return frozenset()
        relative_path = self.relative(path)
        ignored: set[str] = set()
        for pattern, rules in self.per_file_ignores:
            if fnmatchcase(relative_path, pattern) or fnmatchcase(Path(relative_path).name, pattern):
                ignored |= rules
        return frozenset(ignored)


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.audit]`` table, searching upward."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "audit" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error


def load_settings(config_file: Path | None, start: Path) -> Settings:
    """Settings from ``config_file``, or from the nearest ``[tool.audit]`` above ``start``."""
    path = config_file if config_file is not None else find_config(start)
    if path is None:
        return settings_from_table({}, root=Path.cwd(), source=None)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    document = _read_toml(path)
    if path.name == "pyproject.toml" or "tool" in document:
        table = document.get("tool", {}).get("audit", {})
    else:
        table = document
    return settings_from_table(table, root=path.parent.resolve(), source=path)


def settings_from_table(table: dict[str, Any], *, root: Path, source: Path | None) -> Settings:
    """Validate a ``[tool.audit]`` table; every error names its key."""
    options = all_options()
    where = f"{source}: " if source else ""
    unknown = sorted(set(table) - _GENERAL_KEYS - set(options))
    if unknown:
        raise ConfigError(f"{where}unknown key `{unknown[0]}` in [tool.audit]")
    try:
        values = {key: option.default for key, option in options.items()}
        values.update({key: options[key].validate(value) for key, value in table.items() if key in options})
        select = _rule_set("select", table.get("select"), default=rule_names())
        select -= _rule_set("ignore", table.get("ignore"), default=frozenset())
        exclude = string_list("exclude", table.get("exclude", []))
        exclude += string_list("extend-exclude", table.get("extend-exclude", []))
        per_file = _per_file_ignores(table.get("per-file-ignores", {}))
    except ConfigError as error:
        raise ConfigError(f"{where}{error}") from None
    return Settings(select, values, exclude, per_file, root)


def with_cli_overrides(
    settings: Settings, select: Sequence[str] | None, ignore: Sequence[str] | None
) -> Settings:
    """``--select`` replaces the configured selection; ``--ignore`` subtracts from it."""
    chosen = settings.select
    if select:
        chosen = _rule_set("--select", list(select), default=frozenset())
    if ignore:
        chosen = chosen - _rule_set("--ignore", list(ignore), default=frozenset())
    return replace(settings, select=chosen)


def _rule_set(key: str, value: Any, *, default: frozenset[str]) -> frozenset[str]:
    if value is None:
        return default
    names = string_list(key, value)
    _check_rule_names(key, names)
    return frozenset(names)


def _check_rule_names(key: str, names: Iterable[str]) -> None:
    known = rule_names()
    for name in names:
        if name not in known:
            raise ConfigError(f"`{key}`: unknown rule `{name}` (see `audit rules`)")


def _per_file_ignores(value: Any) -> tuple[tuple[str, frozenset[str]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"`per-file-ignores` must be a table of glob = [rules], got {value!r}")
    entries = []
    for pattern, names in value.items():
        rules = string_list(f"per-file-ignores.{pattern}", names)
        _check_rule_names(f"per-file-ignores.{pattern}", rules)
        entries.append((pattern, frozenset(rules)))
    return tuple(entries)
