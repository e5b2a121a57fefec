"""``audit compare``: before/after figures of two versions, per file and in total.

A version is a list of roots: paths on disk, or paths at a git revision. Files are
paired by their path relative to their root (a folder's files by the path below
the folder, a file named on the command line by its name), so ``compare old/ new/``
puts ``old/x.py`` beside ``new/x.py``. Where two roots of one version give the same
relative path, those files keep their full path. Files on one side only show as
added or removed; files that could not be analysed are listed, never dropped.

The renderers (text, markdown, json) live in ``audit.output.comparison``, in the
``COMPARE_FORMATS`` table of ``audit.output``.

Revisions are read with ``git ls-tree`` and ``git cat-file`` through
``audit.gitsafe``: no filter, hook or fsmonitor of the repository runs, and the
work tree is never touched.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from itertools import repeat
from pathlib import Path, PurePosixPath

from audit.config import Settings
from audit.discovery import DEFAULT_EXCLUDES, display_path
from audit.engine import analyse_source, default_jobs, scan
from audit.gitsafe import GitError, run_git
from audit.model import FileError, FileResult, Finding, ScanResult
from audit.plan import Figures, figures

_BLOB_MODES = (b"100644", b"100755")


class CompareError(Exception):
    """A revision or path could not be read."""


@dataclass(frozen=True)
class Version:
    """One side of a comparison: a scan whose paths are pairing keys, and where each key's file lives."""

    label: str
    result: ScanResult
    shown: dict[str, str]
    missing_roots: frozenset[str] = frozenset()  # roots that name nothing in this version (git revisions)


@dataclass(frozen=True)
class FileComparison:
    path: str
    before: Figures | None
    after: Figures | None
    before_path: str | None = None
    after_path: str | None = None
    before_error: str | None = None
    after_error: str | None = None


@dataclass(frozen=True)
class Comparison:
    files: list[FileComparison]
    before: Figures
    after: Figures
    rules_before: Counter[str]
    rules_after: Counter[str]
    errors_before: list[FileError]
    errors_after: list[FileError]
    analysed: tuple[int, int]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors_before or self.errors_after)


def _rekeyed(result: ScanResult, key_of: dict[str, str]) -> ScanResult:
    """The same scan with every path replaced by its pairing key."""
    return replace(
        result,
        findings=sorted((replace(finding, path=key_of[finding.path]) for finding in result.findings),
                        key=Finding.sort_key),
        errors=sorted((replace(error, path=key_of.get(error.path, error.path)) for error in result.errors),
                      key=lambda error: error.path),
        metrics=sorted((replace(item, path=key_of[item.path]) for item in result.metrics),
                       key=lambda item: item.path),
    )


def _unique_keys(roots: Sequence[dict[str, str]]) -> dict[str, str]:
    """shown path -> pairing key; a key that two roots share falls back to each file's shown path."""
    counts = Counter(key for root in roots for key in root.values())
    return {shown: key if counts[key] == 1 else shown for root in roots for shown, key in root.items()}


def _paths_of(result: ScanResult) -> set[str]:
    return {item.path for item in result.metrics} | {error.path for error in result.errors} | {
        finding.path for finding in result.findings}


def _relative_key(shown: str, root: Path) -> str:
    if not root.is_dir():
        return root.name
    return Path(shown).absolute().relative_to(root.absolute()).as_posix()


def _require_existing(paths: Sequence[Path]) -> None:
    for path in paths:
        if not (path.exists() or path.is_symlink()):
            raise CompareError(f"{path}: no such file or directory")


def _root_index(shown: str, roots: Sequence[Path]) -> int | None:
    """The first root that holds the file shown as ``shown`` (a file root holds itself)."""
    absolute = Path(shown).absolute()
    for index, root in enumerate(roots):
        top = root.absolute()
        if absolute == top or (root.is_dir() and absolute.is_relative_to(top)):
            return index
    return None


def scan_version(paths: Sequence[Path], settings: Settings, *, single_key: str | None = None) -> Version:
    """Scan the roots in ``paths`` as one version; ``single_key`` names the only file of a one-file version."""
    _require_existing(paths)
    result = scan(paths, settings, measure=True)
    roots: list[dict[str, str]] = [{} for _ in paths]
    for shown in sorted(_paths_of(result)):
        index = _root_index(shown, paths)
        key = shown if index is None else single_key or _relative_key(shown, paths[index])
        roots[0 if index is None else index][shown] = key
    key_of = _unique_keys(roots)
    label = " ".join(path.as_posix() for path in paths)
    return Version(label, _rekeyed(result, key_of), {key: shown for shown, key in key_of.items()})


def compare_paths(before: Sequence[Path], after: Sequence[Path], settings: Settings) -> Comparison:
    """Compare two lists of roots on disk; two single files are paired with each other."""
    single = None
    if len(before) == 1 and len(after) == 1 and not before[0].is_dir() and not after[0].is_dir():
        names = before[0].name, after[0].name
        single = names[0] if names[0] == names[1] else f"{names[0]} → {names[1]}"
    return compare_versions(scan_version(before, settings, single_key=single),
                            scan_version(after, settings, single_key=single))


def _per_file(result: ScanResult) -> dict[str, Figures]:
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_path[finding.path].append(finding)
    return {item.path: figures([item], by_path[item.path]) for item in result.metrics}


def compare_versions(before: Version, after: Version) -> Comparison:
    old, new = _per_file(before.result), _per_file(after.result)
    old_errors = {error.path: error.message for error in before.result.errors}
    new_errors = {error.path: error.message for error in after.result.errors}
    keys = sorted(old.keys() | new.keys() | old_errors.keys() | new_errors.keys())
    files = [FileComparison(key, old.get(key), new.get(key), before.shown.get(key), after.shown.get(key),
                            old_errors.get(key), new_errors.get(key)) for key in keys]
    return Comparison(
        files, figures(before.result.metrics, before.result.findings),
        figures(after.result.metrics, after.result.findings),
        Counter(finding.rule for finding in before.result.findings),
        Counter(finding.rule for finding in after.result.findings),
        before.result.errors, after.result.errors,
        (len(before.result.metrics), len(after.result.metrics)))


# --- git revisions -------------------------------------------------------------------------------


def _git(args: Sequence[str | bytes], cwd: Path, stdin: bytes | None = None) -> bytes:
    try:
        return run_git(args, cwd, stdin=stdin).stdout
    except GitError as error:
        raise CompareError(str(error)) from None


def repository_top() -> Path:
    return Path(os.fsdecode(_git(["rev-parse", "--show-toplevel"], Path.cwd()).rstrip(b"\n")))


def _tree(revision: str, top: Path) -> str:
    """The tree object of ``revision``; any name that is not a revision is a ``CompareError``."""
    done = run_git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{tree}}"], top,
                   check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise CompareError(f"{revision!r} is not a revision of the repository at {top}")
    return done.stdout.decode().strip()


def _tree_files(tree: str, top: Path) -> dict[str, bytes]:
    """repository-relative path -> blob id, for every regular file of ``tree``."""
    listing = _git(["ls-tree", "-r", "-z", "--full-tree", tree], top)
    files = {}
    for entry in filter(None, listing.split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        mode, kind, blob = meta.split(b" ")
        if kind == b"blob" and mode in _BLOB_MODES:
            files[os.fsdecode(name)] = blob
    return files


def _read_blobs(blobs: Sequence[bytes], top: Path) -> list[bytes]:
    """The contents of ``blobs``, in order, from one ``git cat-file --batch`` (which runs no filter)."""
    output = _git(["cat-file", "--batch"], top, stdin=b"".join(blob + b"\n" for blob in blobs))
    contents, offset = [], 0
    for blob in blobs:
        header_end = output.find(b"\n", offset)
        header = output[offset:header_end].split(b" ")
        if header_end < 0 or len(header) != 3 or not header[2].isdigit():
            raise CompareError(f"git cat-file cannot read blob {blob.decode()} (a partial clone?)")
        size = int(header[2])
        contents.append(output[header_end + 1:header_end + 1 + size])
        offset = header_end + 1 + size + 1
    return contents


def _is_excluded(relative: str, settings: Settings) -> bool:
    parts = PurePosixPath(relative).parts
    if any(part in DEFAULT_EXCLUDES or part.endswith(".egg-info") for part in parts[:-1]):
        return True
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(fnmatchcase(prefix, pattern) or fnmatchcase(PurePosixPath(prefix).name, pattern)
               for prefix in prefixes for pattern in settings.exclude)


def _analyse_all(paths: list[str], contents: list[bytes], settings: Settings) -> list[FileResult]:
    workers = default_jobs(len(paths))
    if workers < 2:
        return [analyse_source(path, data, settings, True) for path, data in zip(paths, contents, strict=True)]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(analyse_source, paths, contents, repeat(settings), repeat(True)))


def _root_keys(spec: str, files: Sequence[str], settings: Settings) -> dict[str, str]:
    """repository path -> pairing key, for the ``*.py`` files of one root (``spec``, repository-relative)."""
    if spec in files:
        return {spec: PurePosixPath(spec).name} if spec.endswith(".py") else {}
    prefix = "" if spec == "." else spec + "/"
    return {path: path[len(prefix):] for path in files
            if path.startswith(prefix) and path.endswith(".py") and not _is_excluded(path, settings)}


def _missing_roots(specs: Sequence[str], files: Sequence[str]) -> frozenset[str]:
    """The roots that name no file of the tree (``.`` always names the whole tree)."""
    return frozenset(spec for spec in specs if spec != "."
                     and not any(path == spec or path.startswith(spec + "/") for path in files))


def _scan_blobs(paths: list[str], contents: list[bytes], settings: Settings) -> ScanResult:
    results = _analyse_all(paths, contents, settings)
    return ScanResult(len(results), [finding for result in results for finding in result.findings],
                      [result.error for result in results if result.error],
                      [result.metrics for result in results if result.metrics])


def read_revision(revision: str, specs: Sequence[str], top: Path, settings: Settings) -> Version:
    """Analyse the ``*.py`` files under ``specs`` (repository-relative roots) as they are at ``revision``."""
    files = _tree_files(_tree(revision, top), top)
    names = sorted(files)
    roots = [_root_keys(spec, names, settings) for spec in specs]
    key_of_path = _unique_keys(roots)
    chosen = sorted(key_of_path)
    # Analysed under the path a scan of the work tree shows, so per-file-ignores match alike.
    here = Path.cwd()
    shown = {path: display_path(top / path, here) for path in chosen}
    scanned = _scan_blobs([shown[path] for path in chosen], _read_blobs([files[path] for path in chosen], top),
                          settings)
    key_of = {shown[path]: key_of_path[path] for path in chosen}
    return Version(revision, _rekeyed(scanned, key_of), {key_of_path[path]: path for path in chosen},
                   _missing_roots(specs, names))


def compare_revisions(revisions: tuple[str, str], paths: Sequence[Path], settings: Settings) -> Comparison:
    """Compare ``paths`` (default: the whole repository) at two revisions of the current repository."""
    top = repository_top()
    specs = []
    for path in paths or [Path(".")]:
        try:
            specs.append((Path.cwd() / path).resolve().relative_to(top.resolve()).as_posix())
        except ValueError:
            raise CompareError(f"with --git, paths must lie inside the repository {top}") from None
    before, after = (read_revision(revision, specs, top, settings) for revision in revisions)
    missing = sorted(before.missing_roots & after.missing_roots)
    if missing:
        raise CompareError(f"{missing[0]}: in neither {revisions[0]} nor {revisions[1]}")
    return compare_versions(before, after)
