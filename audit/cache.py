"""The scan cache: every file's phase-1 result, kept under ``.audit_cache/`` at the project root.

A file's phase-1 result (findings, errors, warnings, metrics, suppressions and the
facts project rules collect) is a function of its bytes, the settings and the audit's
own code, so it is kept and served again while those stay the same:

- One index file per key: the settings (every field), whether metrics are measured,
  and the folder paths are shown relative to. The index records the audit version,
  the Python version and a stamp of the audit's own source files (names, sizes,
  mtimes); when any differs the whole index is dropped.
- A file is a hit when its size, mtime, ctime and inode are the recorded ones (as git
  does); otherwise its bytes are hashed, and it is a hit when the hash matches.
  Stat data of a file changed less than ``_RACY_NS`` before it was read is not
  recorded (an edit in the same timestamp tick would go unseen), so such a file is
  hashed again next time.
- Writes go to a temporary file that is renamed over the index, after merging what
  another scan wrote meanwhile: two scans at once lose at most each other's new
  entries, never the index. A BLAKE2 digest of the payload is checked before it is
  read; an index that fails the check, or fails to load, is ignored and rewritten.
  It is read with an unpickler that builds only the audit's own data classes, sets
  and paths, so a planted cache file cannot run code.
- Settings are cached too, keyed by the config table and the command-line overrides
  (validating a config imports every rule), and each index names the classes of the
  selected project rules: a fully warm scan parses nothing and imports only those.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import os
import pickle
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.atomic import replace_file, umask_mode
from audit.config import Settings, config_root, config_table, settings_from_table, with_cli_overrides
from audit.digest import blake2b
from audit.discovery import display_path
from audit.model import FileResult

if TYPE_CHECKING:
    from audit.rule import ProjectRule

CACHE_DIR_NAME = ".audit_cache"
ENV_CACHE_DIR = "AUDIT_CACHE_DIR"
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by audit.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")
_MAGIC = b"audit-cache 1\n"
_DIGEST_SIZE = 16
# Stat data younger than this is not trusted: coarse file-system clocks (FAT: 2 s) could hide an edit.
_RACY_NS = 2_000_000_000
_PROJECT_MARKERS = ("pyproject.toml", ".git")
# Every name the audit writes in its cache folder; `audit clean` removes a folder holding nothing else.
_OWN_NAME = re.compile(r"CACHEDIR\.TAG|\.gitignore|(?:scan|settings)-[0-9a-f]{32}|\..+\.tmp")

# Stat signature: size, mtime, ctime, inode.
Signature = tuple[int, int, int, int]
# What an index keeps per file: its stat signature (None: hash it next time), content digest, result.
Entry = tuple[Signature | None, bytes, FileResult]
# Phase-1 analysis of the files the cache does not hold: (file, its bytes, or None to read and report why not).
Analyse = Callable[[list[tuple[Path, bytes | None]]], list[FileResult]]


class CacheFolderError(OSError):
    """A folder that is not an audit cache: the audit neither writes into it nor removes it."""


def _is_audit_cache(folder: Path) -> bool:
    try:
        return "created by audit" in (folder / "CACHEDIR.TAG").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``pyproject.toml`` or ``.git``, else the current folder."""
    start = start.absolute()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        if any((candidate / marker).exists() for marker in _PROJECT_MARKERS):
            return candidate
    return Path.cwd()


def cache_folder(start: Path, config_file: Path | None, table: dict[str, Any]) -> Path:
    """Where the cache lives: ``$AUDIT_CACHE_DIR``, else ``cache-dir`` (relative to the config), else the project root."""
    from_environment = os.environ.get(ENV_CACHE_DIR)
    if from_environment:
        return Path(from_environment).absolute()
    configured = table.get("cache-dir")
    if isinstance(configured, str) and configured:
        return config_root(config_file) / configured
    return project_root(start) / CACHE_DIR_NAME


def stable_repr(value: Any) -> str:
    """A text that is the same in every process for equal values (sets sorted, data classes by field)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ",".join(f"{field.name}={stable_repr(getattr(value, field.name))}"
                          for field in dataclasses.fields(value))
        return f"{type(value).__module__}.{type(value).__qualname__}({fields})"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{stable_repr(key)}:{stable_repr(item)}" for key, item in value.items())) + "}"
    if isinstance(value, set | frozenset):
        return "set{" + ",".join(sorted(stable_repr(item) for item in value)) + "}"
    if isinstance(value, list | tuple):
        return type(value).__name__ + "[" + ",".join(stable_repr(item) for item in value) + "]"
    return repr(value)


def _digest(data: bytes) -> bytes:
    return blake2b(data, digest_size=_DIGEST_SIZE).digest()


def _key(value: Any) -> str:
    return _digest(stable_repr(value).encode("utf-8", "surrogatepass")).hex()


_SOURCE_STAMP: list[str] = []


def _source_stamp() -> str:
    """Names, sizes and mtimes of the audit's own source files: an edited rule invalidates the cache."""
    if not _SOURCE_STAMP:
        package = Path(__file__).parent
        parts = []
        pending = [package]
        try:
            while pending:
                with os.scandir(pending.pop()) as listing:
                    for entry in listing:
                        if entry.is_dir() and entry.name != "__pycache__":
                            pending.append(Path(entry.path))
                        elif entry.name.endswith(".py"):
                            info = entry.stat()
                            parts.append(f"{os.path.relpath(entry.path, package)}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:  # not a folder of files (a zip archive): the version alone must do
            parts = ["unlisted"]
        _SOURCE_STAMP.append(_digest("\n".join(sorted(parts)).encode()).hex())
    return _SOURCE_STAMP[0]


def code_stamp() -> str:
    """What the cached results were computed by: the audit version and sources, and the Python running them."""
    import audit

    return f"audit {audit.__version__} {_source_stamp()} {sys.implementation.name} {sys.version}"


# Globals the cache unpickler may load besides the audit's own data classes and enums.
_SAFE_GLOBALS = {
    "builtins": frozenset({"set", "frozenset", "list", "dict", "tuple", "int", "float", "str", "bytes", "bool",
                           "complex", "bytearray"}),
    "pathlib": frozenset({"Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath", "PureWindowsPath"}),
    "collections": frozenset({"OrderedDict", "defaultdict", "Counter", "deque"}),
}


class _CacheUnpickler(pickle.Unpickler):
    """Builds only plain data: the audit's data classes, enums and named tuples, containers, paths.

    Anything else (a function, a class with behaviour) is refused, so the file is treated as damaged.
    """

    def find_class(self, module: str, name: str) -> Any:
        if "." not in name and name in _SAFE_GLOBALS.get(module, ()):
            return super().find_class(module, name)
        if "." not in name and (module == "audit" or module.startswith("audit.")):
            value = super().find_class(module, name)
            if isinstance(value, type) and (dataclasses.is_dataclass(value) or issubclass(value, enum.Enum | tuple)):
                return value
        raise pickle.UnpicklingError(f"the cache may not load {module}.{name}")


def _decode(blob: bytes) -> Any:
    """The object a cache file holds; raises ``ValueError`` when the file is not an intact cache file."""
    header = len(_MAGIC) + _DIGEST_SIZE
    if len(blob) < header or not blob.startswith(_MAGIC):
        raise ValueError("not a cache file")
    payload = blob[header:]
    if _digest(payload) != blob[len(_MAGIC):header]:
        raise ValueError("digest mismatch")
    try:
        return _CacheUnpickler(io.BytesIO(payload)).load()
    except Exception as error:  # a bad cache file is a miss, whatever it holds
        raise ValueError(f"cannot load: {error}") from None


def _encode(value: Any) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _MAGIC + _digest(payload) + payload


class Cache:
    """One cache folder. Problems writing it are remembered in ``problem`` (the CLI warns once) and never raised."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problem: str | None = None
        self._stamp = code_stamp()

    def read(self, name: str) -> Any:
        """What ``name`` holds, or None when absent, damaged or computed by other code."""
        try:
            blob = (self.folder / name).read_bytes()
        except OSError:
            return None
        try:
            stamp, value = _decode(blob)
        except (ValueError, TypeError):
            return None
        return value if stamp == self._stamp else None

    def write(self, name: str, value: Any) -> None:
        """Replace ``name`` atomically (a temporary file renamed over it)."""
        if self.problem is not None:
            return
        try:
            blob = _encode((self._stamp, value))
        except Exception as error:  # audit: ignore[broad-except] -- an unpicklable result costs the cache, not the scan
            self.problem = f"cannot cache the results: {type(error).__name__}: {error}"
            return
        try:
            self._prepare()
            replace_file(self.folder / name, blob, umask_mode(), durable=False)
        except CacheFolderError as error:
            self.problem = str(error)
        except OSError as error:
            self.problem = f"cannot write the cache in {display_path(self.folder)}: {error.strerror or error}"

    def _prepare(self) -> None:
        """The folder, with the tag that tells backup tools to skip it and a ``.gitignore`` that ignores it all.

        A folder that exists, holds files and has no tag of the audit's is someone else's: it is left alone.
        """
        if self.folder.is_dir():
            if not _is_audit_cache(self.folder) and any(self.folder.iterdir()):
                raise CacheFolderError(f"the cache folder {display_path(self.folder)} holds other files and no "
                                       "CACHEDIR.TAG of the audit's: nothing written there (see `cache-dir`)")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# Created by audit.\n*\n")):
            if not (self.folder / name).is_file():
                replace_file(self.folder / name, text.encode(), umask_mode(), durable=False)

    def load_settings(self, key: str) -> Settings | None:
        value = self.read(f"settings-{key}")
        return value if isinstance(value, Settings) else None

    def store_settings(self, key: str, settings: Settings) -> None:
        self.write(f"settings-{key}", settings)

    def index(self, settings: Settings, measure: bool, root: Path | None) -> FileIndex:
        """The index of results computed under ``settings`` (with metrics or not), paths shown relative to ``root``."""
        display_root = (root or Path.cwd()).absolute()
        return FileIndex(self, f"scan-{_key((settings, measure, str(display_root)))}", display_root)


class FileIndex:
    """The cached phase-1 results of one scan configuration, by display path."""

    def __init__(self, cache: Cache, name: str, display_root: Path) -> None:
        self.cache = cache
        self.name = name
        self.display_root = display_root
        loaded = cache.read(name)
        valid = _is_index(loaded)
        self.rule_classes: list[tuple[str, str]] | None = loaded[0] if valid else None
        self.entries: dict[str, Entry] = loaded[1] if valid else {}
        self.updated: dict[str, Entry] = {}
        self.dirty = not valid

    def project_rules(self, settings: Settings) -> list[ProjectRule]:
        """The selected project rules; from the classes the index names, so the other rules are not imported."""
        named = self._named_rules()
        if named is not None:
            return named
        from audit.project import project_rules
        from audit.registry import all_rules

        rules = project_rules(all_rules(), settings)
        self.rule_classes = [(type(rule).__module__, type(rule).__qualname__) for rule in rules]
        self.dirty = True
        return rules

    def _named_rules(self) -> list[ProjectRule] | None:
        """Instances of the classes the index names; None when it names none, or one that no longer exists."""
        if self.rule_classes is None:
            return None
        from importlib import import_module

        try:
            return [getattr(import_module(module), name)() for module, name in self.rule_classes]
        except (ImportError, AttributeError):
            return None

    def results(self, files: Sequence[Path], root: Path | None, analyse: Analyse) -> list[FileResult]:
        """Each file's result: from the index when its stat data or its bytes match, else from ``analyse``."""
        results: list[FileResult | None] = []
        missing: list[tuple[Path, bytes | None]] = []
        pending: list[tuple[int, str, Signature | None, bytes | None]] = []
        for file in files:
            display = display_path(file, root)
            found, data, trusted, digest = self._lookup(file, display)
            if found is None:
                pending.append((len(results), display, trusted, digest))
                missing.append((file, data))
            results.append(found)
        fresh = analyse(missing) if missing else []
        for (position, display, trusted, digest), result in zip(pending, fresh, strict=True):
            results[position] = result
            if digest is not None:
                self.updated[display] = (trusted, digest, result)
        return results  # type: ignore[return-value]  # every None was filled in above

    def _lookup(self, file: Path, display: str
                ) -> tuple[FileResult | None, bytes | None, Signature | None, bytes | None]:
        """The cached result when it holds; else what analysing the file needs: its bytes (None when it cannot
        be read: the analysis says why), the stat data to record (None when too fresh to trust) and the digest."""
        entry = self.entries.get(display)
        now = time.time_ns()
        try:
            info = os.stat(file)
        except OSError:
            return None, None, None, None
        signature = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        if entry is not None and entry[0] == signature:
            return entry[2], None, None, None
        data = _read(file)
        digest = None if data is None else _digest(data)
        trusted = signature if max(info.st_mtime_ns, info.st_ctime_ns) < now - _RACY_NS else None
        if entry is not None and digest == entry[1]:
            if trusted is not None:
                self.updated[display] = (trusted, entry[1], entry[2])
            return entry[2], None, None, None
        return None, data, trusted, digest

    def save(self) -> None:
        """Write the index when it changed, merged with what another scan wrote since it was read."""
        if not self.updated and not self.dirty:
            return
        on_disk = self.cache.read(self.name)
        entries = dict(self.entries)
        if _is_index(on_disk):
            entries.update(on_disk[1])
        entries.update(self.updated)
        entries = {display: entry for display, entry in entries.items()
                   if os.path.lexists(self.display_root / display)}
        self.cache.write(self.name, (self.rule_classes, entries))
        self.entries, self.updated, self.dirty = entries, {}, False


def _is_index(value: Any) -> bool:
    """Whether ``value`` has the shape of an index: (project rule classes, {display path: entry})."""
    if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict)):
        return False
    rule_classes, entries = value
    if rule_classes is not None and not (isinstance(rule_classes, list) and all(map(_is_rule_class, rule_classes))):
        return False
    return all(isinstance(display, str) and _is_entry(entry) for display, entry in entries.items())


def _is_rule_class(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(part, str) for part in item)


def _is_entry(entry: Any) -> bool:
    if not (isinstance(entry, tuple) and len(entry) == 3):
        return False
    signature, digest, result = entry
    return (signature is None or isinstance(signature, tuple)) and isinstance(digest, bytes) \
        and isinstance(result, FileResult)


def _read(file: Path) -> bytes | None:
    try:
        return file.read_bytes()
    except OSError:
        return None


def load_settings(config_file: Path | None, start: Path, *, use_cache: bool = True,
                  select: Sequence[str] | None = None, ignore: Sequence[str] | None = None,
                  force_exclude: bool = False) -> tuple[Settings, Cache | None]:
    """The settings of a scan of ``start`` (the config plus the command-line overrides) and its cache.

    The settings come from the cache when it holds them for this config table and these overrides.
    """
    path, table, project = config_table(config_file, start)
    cache = Cache(cache_folder(start, path, table)) if use_cache else None
    key = _key(("settings", str(path.absolute()) if path else None, config_root(path), table, project,
                tuple(select or ()), tuple(ignore or ()), force_exclude))
    settings = cache.load_settings(key) if cache is not None else None
    if settings is None:
        settings = settings_from_table(table, root=config_root(path), source=path, project=project)
        settings = with_cli_overrides(settings, select, ignore, force_exclude=force_exclude)
        if cache is not None:
            cache.store_settings(key, settings)
    return settings, cache


def located_cache(config_file: Path | None, start: Path) -> Path:
    """The cache folder a scan of ``start`` uses (see ``cache_folder``)."""
    path, table, _ = config_table(config_file, start)
    return cache_folder(start, path, table)


def clean(folder: Path) -> int | None:
    """Remove the cache folder; return how many bytes it held (None: there was none).

    Only a folder tagged by the audit and holding nothing but what the audit writes is removed.
    """
    import shutil

    if not folder.exists() and not folder.is_symlink():
        return None
    size = sum(entry.stat(follow_symlinks=False).st_size for entry in _own_entries(folder))
    shutil.rmtree(folder)
    return size


def _own_entries(folder: Path) -> list[os.DirEntry[str]]:
    """What the cache folder holds; raises ``CacheFolderError`` unless all of it is the audit's."""
    shown = display_path(folder)
    if folder.is_symlink() or not folder.is_dir() or not _is_audit_cache(folder):
        raise CacheFolderError(f"{shown} is not an audit cache (no CACHEDIR.TAG by audit): left alone")
    with os.scandir(folder) as listing:
        entries = list(listing)
    foreign = sorted(entry.name for entry in entries
                     if not entry.is_file(follow_symlinks=False) or not _OWN_NAME.fullmatch(entry.name))
    if foreign:
        raise CacheFolderError(f"{shown} holds files the audit did not write ({', '.join(foreign[:3])}): left alone")
    return entries
