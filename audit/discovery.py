"""Which files a scan reads: ``*.py`` under the given paths, minus the excluded.

Every path named on the command line is scanned, file or folder, whatever
``exclude`` or ``.gitignore`` say (``--force-exclude`` applies ``exclude`` and the
default excludes to named paths too). Inside a named folder, the default
excludes, ``exclude`` and ``.gitignore`` skip what lies beneath it. Only regular
files are read: FIFOs, sockets and devices are skipped with a warning (or are an
error when named), as are files over ``max-file-size``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePath, PurePosixPath

from audit.config import Settings
from audit.gitsafe import GitError, run_git
from audit.model import FileError, ScanWarning

DEFAULT_EXCLUDES = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "build", "dist", "__pycache__",
     "node_modules", "site-packages", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", ".audit_cache"}
)


@dataclass(slots=True)
class Discovery:
    """The files to analyse, the named paths that cannot be, and what was skipped on the way."""

    files: list[Path] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)
    # Files of other kinds that project rules asked for (``other_patterns``), found by the same walk.
    others: list[Path] = field(default_factory=list)


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (default: the current directory) when under it, else absolute.

    Bytes that are not UTF-8 in a file name show as ``\\udcXX`` escapes, so the name prints anywhere.
    """
    path_text, root_text = os.fspath(path), None if root is None else os.fspath(root)
    if os.sep == "/" and isinstance(path, PurePath) and not path_text.startswith("//") \
            and not (root_text or "").startswith("//"):  # pathlib keeps a leading // apart
        text = _relative_posix(path_text, root_text)
    else:
        absolute = Path(path).absolute()
        try:
            text = absolute.relative_to((root or Path.cwd()).absolute()).as_posix()
        except ValueError:
            text = absolute.as_posix()
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _relative_posix(path: str, root: str | None) -> str:
    """``display_path`` on the strings of normalised POSIX paths, as ``pathlib`` computes it (a scan's hot spot)."""
    cwd = os.getcwd()
    absolute = _absolute_posix(path, cwd)
    base = cwd if root is None else _absolute_posix(root, cwd)
    if absolute == base:
        return "."
    prefix = base if base.endswith("/") else base + "/"
    return absolute[len(prefix):] if absolute.startswith(prefix) else absolute


def _absolute_posix(path: str, cwd: str) -> str:
    if path.startswith("/"):
        return path
    if path == ".":
        return cwd
    return cwd + path if cwd.endswith("/") else f"{cwd}/{path}"


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


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


def is_force_excluded(path: Path, settings: Settings) -> bool:
    """Whether ``path`` or a folder above it is a default exclude or matches ``exclude`` (``--force-exclude``)."""
    relative = PurePosixPath(settings.relative(path))
    for candidate in (relative, *relative.parents):
        name = candidate.name
        if not name or name in (".", ".."):
            continue
        if name in DEFAULT_EXCLUDES or name.endswith(".egg-info"):
            return True
        if any(fnmatchcase(str(candidate), pattern) or fnmatchcase(name, pattern) for pattern in settings.exclude):
            return True
    return False


def _too_big(size: int, settings: Settings) -> bool:
    return 0 < settings.max_file_size < size


def _size_warning(path: str, size: int, settings: Settings) -> ScanWarning:
    return ScanWarning(path, f"skipped: {_human_size(size)} is over max-file-size ({_human_size(settings.max_file_size)})")


def _human_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.1f} kB" if size >= 1000 else f"{size} bytes"


class _Walker:
    """Walks one named folder: regular ``*.py`` files, minus the excluded, the special and the too big."""

    def __init__(self, settings: Settings, root: Path | None, warnings: list[ScanWarning],
                 other_patterns: Sequence[str] = ()) -> None:
        self.settings = settings
        self.root = root
        self.warnings = warnings
        self.other_patterns = tuple(other_patterns)
        self.others: list[Path] = []

    def walk(self, top: Path) -> Iterator[Path]:
        pending = [top]
        while pending:
            directory = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as error:
                self._warn(directory, f"skipped: cannot list folder: {error.strerror or error}")
                continue
            folders = []
            for entry in entries:
                path = directory / entry.name
                if entry.is_dir(follow_symlinks=False):
                    if not _is_pruned_dir(path, self.settings):
                        folders.append(path)
                elif self._is_python(entry, path):
                    yield path
            pending.extend(reversed(folders))

    def _is_python(self, entry: os.DirEntry[str], path: Path) -> bool:
        """A ``*.py`` file to analyse; a file project rules asked for is set aside in ``others`` instead."""
        if entry.name.endswith(".py"):
            return not _is_excluded(path, self.settings) and self._readable(entry)
        if any(fnmatchcase(entry.name, pattern) for pattern in self.other_patterns):
            self.others.append(path)
        return False

    def _readable(self, entry: os.DirEntry[str]) -> bool:
        """A regular file within the size limit; an entry that cannot be stat-ed is kept, so reading it reports why."""
        try:
            info = entry.stat()
        except OSError:
            return True
        if stat.S_ISDIR(info.st_mode):
            return False  # a symbolic link to a folder: not followed, as folders are not
        path = Path(entry.path)
        if not stat.S_ISREG(info.st_mode):
            self._warn(path, f"skipped: {file_kind(info.st_mode)}, not a regular file")
            return False
        if _too_big(info.st_size, self.settings):
            self.warnings.append(_size_warning(display_path(path, self.root), info.st_size, self.settings))
            return False
        return True

    def _warn(self, path: Path, message: str) -> None:
        self.warnings.append(ScanWarning(display_path(path, self.root), message))


def _git_ignored(folder: Path, files: Sequence[Path]) -> set[Path]:
    """The files under ``folder`` that its git work tree ignores (none outside git, or without git).

    git reports every file beneath an ignored folder as ignored; a named folder is scanned
    even when ignored, so inside such a folder ``.gitignore`` is not consulted at all.
    """
    top = _git_toplevel(folder) if files else None
    if top is None:
        return set()
    ignored = _check_ignore(top, [folder, *files])
    return set() if folder.absolute() in ignored else ignored


def _git_toplevel(directory: Path) -> bytes | None:
    if not any((folder / ".git").exists() for folder in (directory.absolute(), *directory.absolute().parents)):
        return None  # not in a work tree: spare the git process (git runs without GIT_* variables, see gitsafe)
    try:
        done = run_git(["rev-parse", "--show-toplevel"], cwd=directory, check=False)
    except GitError:
        return None
    return done.stdout.rstrip(b"\n") if done.returncode == 0 else None


def _check_ignore(top: bytes, paths: Sequence[Path]) -> set[Path]:
    payload = b"".join(os.fsencode(path.absolute()) + b"\0" for path in paths)
    try:
        done = run_git(["check-ignore", "-z", "--stdin"], cwd=top, stdin=payload, check=False)
    except GitError:
        return set()
    return {Path(os.fsdecode(name)) for name in done.stdout.split(b"\0") if name}


def discover(paths: Sequence[Path], settings: Settings, root: Path | None = None,
             other_patterns: Sequence[str] = ()) -> Discovery:
    """The files to analyse; an error for each named path that is missing or not a file or folder.

    Files in the walked folders whose names match ``other_patterns`` (what project rules read besides
    Python) come back in ``others``, found by the same walk and skipped alike.
    """
    found = Discovery()
    walker = _Walker(settings, root, found.warnings, other_patterns)
    for path in paths:
        if not (settings.force_exclude and is_force_excluded(path, settings)):
            _add_named(path, found, walker, root)
    unique = {file.absolute(): file for file in found.files}
    found.files = sorted(unique.values(), key=lambda file: display_path(file, root))
    return found


def _add_folder(folder: Path, found: Discovery, walker: _Walker) -> None:
    """What a walk of a named folder yields, minus what ``.gitignore`` ignores there (one git call for both)."""
    walker.others.clear()
    walked = list(walker.walk(folder))
    ignored = _git_ignored(folder, [*walked, *walker.others])
    found.files.extend(file for file in walked if file.absolute() not in ignored)
    found.others.extend(file for file in walker.others if file.absolute() not in ignored)


def _add_named(path: Path, found: Discovery, walker: _Walker, root: Path | None) -> None:
    """A path named on the command line: a folder is walked, a regular file is taken whatever the excludes say."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            found.files.append(path)  # reading it says what is wrong with the link
        else:
            found.errors.append(FileError(display_path(path, root), "no such file or directory"))
        return
    except OSError:
        found.files.append(path)  # a link loop, a permission: reading it says which
        return
    if stat.S_ISDIR(info.st_mode):
        _add_folder(path, found, walker)
    elif not stat.S_ISREG(info.st_mode):
        found.errors.append(FileError(display_path(path, root), f"{file_kind(info.st_mode)}, not a regular file"))
    elif _too_big(info.st_size, walker.settings):
        found.warnings.append(_size_warning(display_path(path, root), info.st_size, walker.settings))
    else:
        found.files.append(path)
