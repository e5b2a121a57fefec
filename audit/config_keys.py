"""Which Hydra config keys the scanned code reads: the project phase of the config-key rules.

From each ``@hydra.main`` function, the config parameter is followed through
the per-file facts of ``audit.config_reads``: reads mark keys used, a node
passed whole (or handed to code that cannot be followed) marks everything
under it used, and a call into a scanned function continues with that
function's own reads of its parameter. What is left of the config folder's
keys is unused; a read of a key that no YAML file defines, under a node whose
keys are all known, is undefined. When in doubt nothing is reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from audit.config_reads import (
    CALL,
    READ,
    SAFE,
    WHOLE,
    WRITE,
    ConfigFacts,
    ConfigUse,
    FunctionUses,
    collect_config_facts,
)
from audit.discovery import DEFAULT_EXCLUDES
from audit.hydra_tree import ConfigPath, ConfigTree, KeyDefinition, load_tree
from audit.project import Project
from audit.rule import ProjectRule
from audit.source import SourceModule

_SHARED_KEY = "config-keys"
_NOT_PROJECT_CODE = DEFAULT_EXCLUDES | {"tests", "test"}


@dataclass(frozen=True)
class UndefinedRead:
    path: str
    use: ConfigUse
    key: ConfigPath
    folder: Path


@dataclass
class _Reads:
    """Everything the code does with one config folder's keys."""

    used: set[ConfigPath] = field(default_factory=set)
    wholes: set[ConfigPath] = field(default_factory=set)
    writes: set[ConfigPath] = field(default_factory=set)
    strict: list[tuple[str, ConfigUse, ConfigPath]] = field(default_factory=list)
    guarded: set[ConfigPath] = field(default_factory=set)


@dataclass
class ConfigKeyAnalysis:
    unused: list[KeyDefinition] = field(default_factory=list)
    undefined: list[UndefinedRead] = field(default_factory=list)


class ConfigKeyRule(ProjectRule):
    """What the two config-key rules share: the per-file facts (collected once) and ``analyse``."""

    facts_key = "config-reads"

    def collect(self, module: SourceModule, options: Mapping[str, Any]) -> ConfigFacts | None:
        return collect_config_facts(module)


def analyse(project: Project, facts: Mapping[str, ConfigFacts]) -> ConfigKeyAnalysis:
    """The unused and undefined keys of every config folder an entry point of the scan names (computed once)."""
    if _SHARED_KEY not in project.shared:
        project.shared[_SHARED_KEY] = _analyse(project, facts)
    return project.shared[_SHARED_KEY]


def _analyse(project: Project, facts: Mapping[str, ConfigFacts]) -> ConfigKeyAnalysis:
    functions = _function_index(project, facts)
    reads_by_folder: dict[Path, _Reads] = {}
    for display, module_facts in facts.items():
        module_file = project.locate(display)
        for entry in module_facts.entries:
            folder = _config_folder(entry.config_path, module_file, project)
            if folder is None:
                continue
            reads = reads_by_folder.setdefault(folder, _Reads())
            _follow(functions, (_module_name(module_file), entry.function), reads)
    analysis = ConfigKeyAnalysis()
    for folder, reads in sorted(reads_by_folder.items()):
        tree = _tree_with_search_path(folder, project)
        # Only the entry's own folder: folders on its search path are shared with other entry points.
        unused = [item for item in _unused(tree, reads) if project.contains(item.file)
                  and item.file.is_relative_to(folder)]
        analysis.unused.extend(_not_read_elsewhere(unused, folder, project))
        if not tree.errors:  # a YAML file that cannot be read may define any key: say nothing
            analysis.undefined.extend(_undefined(tree, reads, folder))
    return analysis


_FunctionKey = tuple[str, str]


def _tree_with_search_path(folder: Path, project: Project) -> ConfigTree:
    """The config folder's keys plus those of the folders its ``hydra.searchpath`` adds (pkg:// and file://)."""
    tree = load_tree(folder)
    for entry in dict.fromkeys(tree.searchpath):
        extra = _config_folder(entry, folder / "_", project) if entry.startswith("pkg://") else _file_folder(entry)
        if extra is not None and extra != folder:
            tree.merge(load_tree(extra))
    return tree


def _file_folder(entry: str) -> Path | None:
    """An absolute ``file://`` search path (a relative one depends on the working folder: left out)."""
    path = Path(entry.removeprefix("file://"))
    return path if entry.startswith("file://") and path.is_absolute() and path.is_dir() else None


def _function_index(project: Project, facts: Mapping[str, ConfigFacts]
                    ) -> dict[_FunctionKey, tuple[str, ConfigFacts, FunctionUses]]:
    index = {}
    for display, module_facts in facts.items():
        module = _module_name(project.locate(display))
        for qualname, uses in module_facts.functions.items():
            index[(module, qualname)] = (display, module_facts, uses)
    return index


@cache  # asked per file by the function index and again by each ``pkg://`` folder lookup
def _module_name(file: Path) -> str:
    """The dotted module name of ``file``, from the packages (folders with ``__init__.py``) above it."""
    parts = [] if file.name == "__init__.py" else [file.stem]
    folder = file.absolute().parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.append(folder.name)
        folder = folder.parent
    return ".".join(reversed(parts))


def _config_folder(config_path: str | None, module_file: Path, project: Project) -> Path | None:
    if config_path is None:
        return None
    if config_path.startswith("pkg://"):
        return _package_folder(config_path.removeprefix("pkg://"), project)
    folder = Path(config_path)
    folder = folder if folder.is_absolute() else module_file.absolute().parent / folder
    folder = Path(os.path.normpath(folder))
    return folder if folder.is_dir() else None


def _package_folder(package: str, project: Project) -> Path | None:
    """Where ``pkg://a.b`` points: the folder ``a/b`` beside the top package of a scanned file."""
    for path in project.python_files.values():
        levels = len(_module_name(path).split(".")) - (path.name != "__init__.py")  # folders up to sys.path
        candidate = path.absolute().parents[levels].joinpath(*package.split("."))
        if candidate.is_dir():
            return candidate
    return None


def _follow(functions: Mapping[_FunctionKey, tuple[str, ConfigFacts, FunctionUses]], entry: _FunctionKey,
            reads: _Reads) -> None:
    """Walk the config from the entry function's first parameter through every call the scan can follow."""
    pending: list[tuple[_FunctionKey, int, ConfigPath]] = [(entry, 0, ())]
    seen: set[tuple[_FunctionKey, int, ConfigPath]] = set()
    while pending:
        state = pending.pop()
        if state in seen or state[0] not in functions:
            continue
        seen.add(state)
        key, param, base = state
        display, module_facts, uses = functions[key]
        for use in uses.uses:
            if use.param == param:
                pending.extend(_apply(use, (*base, *use.path), display, key[0], module_facts, functions, reads))


def _apply(use: ConfigUse, path: ConfigPath, display: str, module: str, module_facts: ConfigFacts,
           functions: Mapping[_FunctionKey, tuple[str, ConfigFacts, FunctionUses]], reads: _Reads
           ) -> Iterable[tuple[_FunctionKey, int, ConfigPath]]:
    if use.kind in (READ, SAFE):
        reads.used.add(path)
        if use.kind == READ:
            reads.strict.append((display, use, path))
        else:
            reads.guarded.add(path)
    elif use.kind == WRITE:
        reads.writes.add(path)
    elif use.kind == WHOLE:
        reads.wholes.add(path)
    elif use.kind == CALL:
        target = _callee(use, module, module_facts, functions)
        if target is None:
            reads.wholes.add(path)  # handed to code the scan cannot follow
            return ()
        reads.used.add(path)
        return (target + (path,),)
    return ()


def _callee(use: ConfigUse, module: str, module_facts: ConfigFacts,
            functions: Mapping[_FunctionKey, tuple[str, ConfigFacts, FunctionUses]]
            ) -> tuple[_FunctionKey, int] | None:
    """The scanned function a call hands the config to, and the parameter that receives it."""
    callee = use.callee or ""
    candidates = [(module, callee)]
    head, _, name = callee.rpartition(".")
    if head:
        candidates.append((head, name))
    for key in candidates:
        if key in functions:
            params = functions[key][2].params
            if isinstance(use.argument, int):
                return (key, use.argument) if use.argument < len(params) else None
            return (key, params.index(use.argument)) if use.argument in params else None
    return None


def _prefixes(paths: Iterable[ConfigPath]) -> set[ConfigPath]:
    return {path[:end] for path in paths for end in range(1, len(path) + 1)}


def _is_hydra_key(path: ConfigPath) -> bool:
    """Hydra's own settings (``hydra.*``, from a primary file or the ``hydra`` group), and ``_target_``,
    ``_recursive_`` and the like, which instantiate reads: never user code's to read."""
    last = path[-1]
    return path[0] == "hydra" or (len(last) > 2 and last.startswith("_") and last.endswith("_"))


def _unused(tree: ConfigTree, reads: _Reads) -> Iterator[KeyDefinition]:
    """Definitions no code or interpolation reads, the top-most of each unused subtree only."""
    touched = _prefixes(reads.used | reads.writes | reads.wholes | tree.yaml_reads)
    wholes = reads.wholes | tree.yaml_wholes

    def is_used(path: ConfigPath) -> bool:
        return path in touched or any(path[:end] in wholes for end in range(len(path) + 1)) or _is_hydra_key(path)

    for path, definitions in sorted(tree.definitions.items()):
        if not is_used(path) and (len(path) == 1 or is_used(path[:-1])):
            yield from definitions


def _undefined(tree: ConfigTree, reads: _Reads, folder: Path) -> Iterator[UndefinedRead]:
    """Strict reads of keys no file defines, under a node whose keys the YAML fully gives.

    A key the code also looks up safely (``.get``, ``in``, ``hasattr``) is one it knows may be missing.
    """
    known = _prefixes(reads.writes) | reads.guarded
    seen = set()
    for display, use, path in reads.strict:
        if not path or path[0] == "hydra" or tree.is_defined(path) or path in known:
            continue
        if not tree.is_mapping(path[:-1]) or (display, use.line, path) in seen:
            continue
        seen.add((display, use.line, path))
        yield UndefinedRead(display, use, path, folder)


def _not_read_elsewhere(unused: list[KeyDefinition], folder: Path, project: Project) -> list[KeyDefinition]:
    """Drop keys whose name appears in Python files of the project that the scan did not read (say nothing)."""
    if not unused:
        return []
    scanned = {path.absolute() for path in project.python_files.values()}
    words: set[str] = set()
    for file in _project_python_files(_project_root(folder)):
        if file not in scanned:
            words |= _config_code_words(file)
    return [item for item in unused if item.path[-1] not in words]


def _config_code_words(file: Path) -> set[str]:
    """The identifiers of a module that works with Hydra or OmegaConf configs (none for other modules)."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return set(re.findall(r"\w+", text)) if re.search(r"\b(hydra|omegaconf|DictConfig)\b", text) else set()


def _project_root(folder: Path) -> Path:
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ("pyproject.toml", "setup.py", ".git")):
            return candidate
    return folder


def _project_python_files(root: Path) -> Iterator[Path]:
    """The project's modules, tests aside: a test that names a key does not make the key used."""
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name not in _NOT_PROJECT_CODE and not name.startswith(".")]
        yield from (Path(current, name).absolute() for name in filenames
                    if name.endswith(".py") and not _is_test_file(name))


def _is_test_file(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
