"""The keys a Hydra config folder can define, read from its YAML without running Hydra.

Every option of every config group can be selected from the command line, so
the key space of a config folder is the union over all its YAML files: a file
in group folder ``model/`` defines its keys under ``model`` (Hydra's default
package), unless a ``# @package`` header says otherwise (``_global_`` is the
root). Keys come with their file and line; ``${a.b}`` interpolations and the
sibling keys of a ``_target_`` (the target's arguments) count as reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml

ConfigPath = tuple[str, ...]

_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)")
_INTERPOLATION = re.compile(r"\$\{([^${}]*)\}")
_YAML_SUFFIXES = (".yaml", ".yml")
# Keys that Hydra, OmegaConf or instantiate read themselves.
HYDRA_KEYS = frozenset({"defaults", "hydra"})


@dataclass(frozen=True)
class KeyDefinition:
    """One key of one YAML file: where it is and whether it holds a mapping."""

    path: ConfigPath
    file: Path
    line: int
    is_mapping: bool


@dataclass
class ConfigTree:
    """The union of every key the config folder's files define, plus what the YAML itself reads."""

    folder: Path
    definitions: dict[ConfigPath, list[KeyDefinition]] = field(default_factory=dict)
    yaml_reads: set[ConfigPath] = field(default_factory=set)
    yaml_wholes: set[ConfigPath] = field(default_factory=set)
    errors: list[tuple[Path, str]] = field(default_factory=list)
    # Nodes that group files fill (``model`` for ``model/*.yaml``): mappings whose keys are the files' keys.
    group_nodes: set[ConfigPath] = field(default_factory=set)
    # ``hydra.searchpath`` entries of the primary configs (``pkg://...``, ``file://...``), for the caller to resolve.
    searchpath: list[str] = field(default_factory=list)

    def is_defined(self, path: ConfigPath) -> bool:
        return path in self.definitions or path in self.group_nodes

    def is_mapping(self, path: ConfigPath) -> bool:
        """Whether every definition of ``path`` is a mapping (so its keys are known); the root always is."""
        if not path:
            return True
        definitions = self.definitions.get(path, ())
        if not definitions:
            return path in self.group_nodes
        return all(item.is_mapping for item in definitions)

    def add(self, definition: KeyDefinition) -> None:
        self.definitions.setdefault(definition.path, []).append(definition)

    def merge(self, other: ConfigTree) -> None:
        """Add the keys of a folder on the search path: its groups sit beside this folder's."""
        for definitions in other.definitions.values():
            for definition in definitions:
                self.add(definition)
        self.yaml_reads |= other.yaml_reads
        self.yaml_wholes |= other.yaml_wholes
        self.group_nodes |= other.group_nodes
        self.errors += other.errors


def yaml_files(folder: Path) -> list[Path]:
    """Every YAML file under ``folder``, sorted."""
    return sorted(path for path in folder.rglob("*") if path.suffix in _YAML_SUFFIXES and path.is_file())


def load_tree(folder: Path) -> ConfigTree:
    """Read every YAML file under ``folder`` into one key space; unreadable files are recorded, not raised."""
    import yaml  # only scans that meet a Hydra entry point pay for it

    tree = ConfigTree(folder)
    for file in yaml_files(folder):
        try:
            text = file.read_text(encoding="utf-8")
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            tree.errors.append((file, str(error).splitlines()[0] if str(error) else type(error).__name__))
            continue
        if _kind(node) == "mapping":
            package = package_of(file, folder, text)
            tree.group_nodes.update(package[:end] for end in range(1, len(package) + 1))
            _read_mapping(node, package, file, tree)
    return tree


def package_of(file: Path, folder: Path, text: str) -> ConfigPath:
    """Where a file's keys land: its ``# @package`` header, else its group folder (the root for primary files)."""
    group = file.parent.relative_to(folder).parts
    for line in text.splitlines()[:20]:
        match = _PACKAGE.match(line.strip())
        if match:
            return _resolve_package(match.group(1), group, file.stem)
        if line.strip() and not line.lstrip().startswith("#"):
            break
    return group


def _resolve_package(spec: str, group: ConfigPath, name: str) -> ConfigPath:
    parts: list[str] = []
    for part in spec.split("."):
        if part == "_global_":
            continue
        if part == "_group_":
            parts.extend(group)
        elif part == "_name_":
            parts.append(name)
        elif part:
            parts.append(part)
    return tuple(parts)


def _kind(node: yaml.Node | None) -> str:
    """"mapping", "sequence" or "scalar" (PyYAML's node ids), without importing yaml at module load."""
    return getattr(node, "id", "")


def _read_mapping(node: yaml.MappingNode, prefix: ConfigPath, file: Path, tree: ConfigTree) -> None:
    keys = [key.value for key, _ in node.value if _kind(key) == "scalar"]
    if "_target_" in keys:
        tree.yaml_wholes.add(prefix)  # the other keys are the target's arguments
    for key, value in node.value:
        if _kind(key) != "scalar":
            continue
        path = (*prefix, str(key.value))
        if path == ("hydra",) and _kind(value) == "mapping":
            tree.searchpath += _search_path(value)
        if not prefix and key.value in HYDRA_KEYS:
            _read_value(value, path, file, ConfigTree(tree.folder, yaml_reads=tree.yaml_reads))
            continue  # Hydra's own keys: not the user's to read, but their interpolations read the user's
        tree.add(KeyDefinition(path, file, key.start_mark.line + 1, _kind(value) == "mapping"))
        _read_value(value, path, file, tree)


def _search_path(hydra_node: yaml.MappingNode) -> list[str]:
    for key, value in hydra_node.value:
        if _kind(key) == "scalar" and key.value == "searchpath" and _kind(value) == "sequence":
            return [item.value for item in value.value if _kind(item) == "scalar" and isinstance(item.value, str)]
    return []


def _read_value(node: yaml.Node, path: ConfigPath, file: Path, tree: ConfigTree) -> None:
    if _kind(node) == "mapping":
        _read_mapping(node, path, file, tree)
    elif _kind(node) == "sequence":
        for item in node.value:
            _read_value(item, path, file, tree)
    elif _kind(node) == "scalar" and isinstance(node.value, str) and "${" in node.value:
        tree.yaml_reads.update(interpolations(node.value, path))


def interpolations(text: str, at: ConfigPath) -> Iterator[ConfigPath]:
    """Config paths that ``${...}`` references in ``text`` read (resolvers such as ``oc.env:`` aside)."""
    for match in _INTERPOLATION.finditer(text):
        reference = match.group(1).strip()
        if ":" in reference or not reference:
            continue
        if reference.startswith("."):
            depth = len(reference) - len(reference.lstrip("."))
            base = at[:-depth] if depth <= len(at) else ()
            reference = reference[depth:]
            yield (*base, *_split(reference))
        else:
            yield _split(reference)


def _split(reference: str) -> ConfigPath:
    return tuple(part for part in re.split(r"\.|\[|\]", reference) if part)
