"""Which files a scan reads: ``*.py`` under the given paths, minus the excluded."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from audit.config import Settings
from audit.model import FileError

DEFAULT_EXCLUDES = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "build", "dist", "__pycache__",
     "node_modules", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs"}
)


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (default: the current directory) when under it, else absolute."""
    absolute = path.absolute()
    try:
        return absolute.relative_to((root or Path.cwd()).absolute()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _is_excluded(path: Path, settings: Settings) -> bool:
    if not settings.exclude:
        return False
    relative = settings.relative(path)
    return any(fnmatchcase(relative, pattern) or fnmatchcase(path.name, pattern) for pattern in settings.exclude)


def _is_pruned_dir(directory: Path, settings: Settings) -> bool:
    if directory.name in DEFAULT_EXCLUDES or directory.name.endswith(".egg-info"):
        return True
    if (directory / "pyvenv.cfg").is_file():
        return True
    return _is_excluded(directory, settings)


def _walk(root: Path, settings: Settings) -> Iterable[Path]:
    for current, dirnames, filenames in os.walk(root):
        base = Path(current)
        dirnames[:] = sorted(name for name in dirnames if not _is_pruned_dir(base / name, settings))
        for name in sorted(filenames):
            if name.endswith(".py") and not _is_excluded(base / name, settings):
                yield base / name


def _git_ignored(folder: Path, files: Sequence[Path]) -> set[Path]:
    """The files under ``folder`` that its git work tree ignores (none outside git, or without git)."""
    top = _git_toplevel(folder)
    return _check_ignore(top, files) if top and files else set()


def _git_toplevel(directory: Path) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _check_ignore(top: str, files: Sequence[Path]) -> set[Path]:
    payload = "\0".join(str(file.absolute()) for file in files) + "\0"
    try:
        done = subprocess.run(["git", "-C", top, "check-ignore", "-z", "--stdin"],
                              input=payload.encode(), capture_output=True, check=False)
    except OSError:
        return set()
    return {Path(name.decode()) for name in done.stdout.split(b"\0") if name}


def discover(paths: Sequence[Path], settings: Settings, root: Path | None = None) -> tuple[list[Path], list[FileError]]:
    """The files to analyse, and an error for each path that does not exist.

    Files named explicitly are always analysed; files found by walking a folder
    skip the default excludes, ``exclude`` patterns and what ``.gitignore`` ignores.
    """
    explicit: list[Path] = []
    walked: list[Path] = []
    errors: list[FileError] = []
    for path in paths:
        if path.is_dir():
            found = list(_walk(path, settings))
            ignored = _git_ignored(path, found)
            walked.extend(file for file in found if file.absolute() not in ignored)
        elif path.is_file() or path.is_symlink():
            explicit.append(path)
        else:
            errors.append(FileError(display_path(path, root), "no such file or directory"))
    unique = {file.absolute(): file for file in [*explicit, *walked]}
    return sorted(unique.values(), key=lambda file: display_path(file, root)), errors


def discover_other(folders: Sequence[Path], settings: Settings, patterns: Sequence[str]) -> list[Path]:
    """Non-Python files under ``folders`` whose names match ``patterns``, skipped as ``*.py`` files are."""
    found: list[Path] = []
    for folder in folders:
        matches = [Path(current) / name for current, dirnames, filenames in _pruned_walk(folder, settings)
                   for name in filenames if any(fnmatchcase(name, pattern) for pattern in patterns)]
        ignored = _git_ignored(folder, matches)
        found.extend(path for path in matches if path.absolute() not in ignored and path.is_file())
    return sorted(found)


def _pruned_walk(root: Path, settings: Settings) -> Iterable[tuple[str, list[str], list[str]]]:
    for current, dirnames, filenames in os.walk(root):
        base = Path(current)
        dirnames[:] = sorted(name for name in dirnames if not _is_pruned_dir(base / name, settings))
        yield current, dirnames, sorted(filenames)
