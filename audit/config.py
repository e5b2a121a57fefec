"""``[tool.audit]`` in ``pyproject.toml``: finding it, validating it, merging the CLI."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from audit.registry import all_options, rule_names
from audit.rule import ConfigError, string_list

GENERAL_KEYS = frozenset({"select", "ignore", "exclude", "extend-exclude", "per-file-ignores", "max-file-size",
                          "cache-dir"})
DEFAULT_MAX_FILE_SIZE = 5_000_000
_SIZE = re.compile(r"\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>B|kB|KB|MB|GB|KiB|MiB|GiB)?\s*")
_UNITS = {None: 1, "B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3,
          "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


@dataclass(frozen=True)
class Settings:
    """Everything that decides what one file's analysis yields (picklable)."""

    select: frozenset[str]
    options: dict[str, Any]
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    root: Path = field(default_factory=Path.cwd)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; 0: no limit
    force_exclude: bool = False

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
        if pyproject.is_file() and "audit" in _tool_table(_read_toml(pyproject), pyproject):
            return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


def _tool_table(document: dict[str, Any], path: Path) -> dict[str, Any]:
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table, got {_kind(tool)}")
    return tool


def _audit_table(document: dict[str, Any], path: Path) -> dict[str, Any]:
    table = _tool_table(document, path).get("audit", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `tool.audit` must be a table ([tool.audit]), got {_kind(table)}")
    return table


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array of tables" if value and all(isinstance(item, dict) for item in value) else "an array"
    return f"{type(value).__name__} {value!r}"


def find_project(start: Path) -> Path | None:
    """The scanned project's ``pyproject.toml``: the nearest one above ``start``, with or without ``[tool.audit]``."""
    directory = start if start.is_dir() else start.parent
    return next((candidate / "pyproject.toml" for candidate in (directory, *directory.parents)
                 if (candidate / "pyproject.toml").is_file()), None)


def _project_document(path: Path | None) -> dict[str, Any] | None:
    """The project's ``pyproject.toml``, or None: not the audit's config, so a broken one is only not read."""
    if path is None:
        return None
    try:
        return _read_toml(path)
    except ConfigError:
        return None


def load_settings(config_file: Path | None, start: Path) -> Settings:
    """Settings from ``config_file``, or from the nearest ``[tool.audit]`` above ``start``.

    Options that rules derive from the project (``Option.from_project``) read the nearest
    ``pyproject.toml`` above ``start``, which is often the config file itself (read once).
    """
    path, table, project = config_table(config_file, start)
    return settings_from_table(table, root=config_root(path), source=path, project=project)


def config_table(config_file: Path | None, start: Path
                 ) -> tuple[Path | None, dict[str, Any], dict[str, Any] | None]:
    """The config file in effect (``config_file``, else the nearest above ``start``), its unvalidated
    table, and the project's ``pyproject.toml`` document (None when there is none or it is unreadable)."""
    path = config_file if config_file is not None else find_config(start)
    project_path = find_project(start)
    if path is None:
        return None, {}, _project_document(project_path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    document = _read_toml(path)
    table = _audit_table(document, path) if path.name == "pyproject.toml" or "tool" in document else document
    same = project_path is not None and project_path.resolve() == path.resolve()
    return path, table, document if same else _project_document(project_path)


def config_root(config_file: Path | None) -> Path:
    """The folder relative paths in the config start from: the config file's, else the current one."""
    return config_file.parent.resolve() if config_file is not None else Path.cwd()


def settings_from_table(table: dict[str, Any], *, root: Path, source: Path | None,
                        project: dict[str, Any] | None = None) -> Settings:
    """Validate a ``[tool.audit]`` table; every error names its key.

    ``project`` is the scanned project's ``pyproject.toml`` document, for the options that
    derive their value from it where the table does not set them.
    """
    options = all_options()
    where = f"{source}: " if source else ""
    unknown = sorted(set(table) - GENERAL_KEYS - set(options))
    if unknown:
        raise ConfigError(f"{where}unknown key `{unknown[0]}` in [tool.audit]")
    try:
        values = {key: option.default for key, option in options.items()}
        values.update(_from_project(options, table, project))
        values.update({key: options[key].validate(value) for key, value in table.items() if key in options})
        select = _rule_set("select", table.get("select"), default=rule_names())
        select -= _rule_set("ignore", table.get("ignore"), default=frozenset())
        exclude = string_list("exclude", table.get("exclude", []))
        exclude += string_list("extend-exclude", table.get("extend-exclude", []))
        per_file = _per_file_ignores(table.get("per-file-ignores", {}))
        max_file_size = file_size("max-file-size", table.get("max-file-size", DEFAULT_MAX_FILE_SIZE))
        if not isinstance(table.get("cache-dir", ""), str):
            raise ConfigError(f"`cache-dir` must be a string (a folder), got {table['cache-dir']!r}")
    except ConfigError as error:
        raise ConfigError(f"{where}{error}") from None
    return Settings(select, values, exclude, per_file, root, max_file_size)


def _from_project(options: dict[str, Any], table: dict[str, Any], project: dict[str, Any] | None) -> dict[str, Any]:
    """The values options derive from the project's ``pyproject.toml``, where the table does not set them."""
    if project is None:
        return {}
    return {key: option.from_project(project) for key, option in options.items()
            if option.from_project is not None and key not in table}


def file_size(key: str, value: Any) -> int:
    """A size in bytes: an integer, or a string such as "5 MB" or "512 KiB"; 0 means no limit."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"`{key}` must be a size in bytes or a string such as \"5 MB\", got {value!r}")
    return int(float(match.group("number")) * _UNITS[match.group("unit")])


def with_cli_overrides(
    settings: Settings, select: Sequence[str] | None, ignore: Sequence[str] | None, *, force_exclude: bool = False
) -> Settings:
    """``--select`` replaces the configured selection; ``--ignore`` subtracts from it."""
    chosen = settings.select
    if select:
        chosen = _rule_set("--select", list(select), default=frozenset())
    if ignore:
        chosen = chosen - _rule_set("--ignore", list(ignore), default=frozenset())
    return replace(settings, select=chosen, force_exclude=force_exclude or settings.force_exclude)


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
