"""``audit fix``: apply the safe fixes that rules attach to their findings, verified, and written atomically.

One file at a time: read its bytes once, analyse them with fixes, apply every safe fix whose edits do not
overlap (another pass picks up what a pass left or revealed), then verify the result against the original
before anything is written:

- the new source parses, keeps its encoding, and no rule fails on it where none failed before;
- per rule and enclosing function, there are at most as many findings as before less the fixed ones
  (counted, not matched by line, since lines move): the fixed findings are gone and no new one appeared.

A file that fails verification is left unchanged, with a warning. The write goes to a temporary file in the
same folder, which then replaces the file (``os.replace``), keeping its mode and its bytes' encoding (BOM,
CRLF line endings, coding cookie). It is refused, with a warning, when the file on disk no longer holds the
bytes that were read. Only per-file rules are rescanned; project-level rules need ``audit scan``.
"""

from __future__ import annotations

import difflib
import io
import os
import stat
import sys
import tokenize
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from audit.atomic import replace_file
from audit.config import Settings
from audit.discovery import discover, display_path
from audit.engine import analyse_source, decode, default_jobs
from audit.model import SAFE, Edit, FileError, FileResult, Finding

MAX_PASSES = 100  # as ruff; each pass only shortens the text, and a pass with nothing to do ends the loop
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass(slots=True)
class FileFix:
    """What fixing one file's bytes gives: ``fixed`` is None when nothing changes."""

    path: str
    original: bytes
    fixed: bytes | None = None
    fixed_count: int = 0
    found: int = 0  # findings in the original
    remaining: int = 0
    problem: str | None = None  # why the fixes were not kept (a warning)
    error: FileError | None = None


class WriteRefused(Exception):
    """The file was not written; the message says why."""


def chosen_edits(findings: Iterable[Finding]) -> list[Edit]:
    """The edits of every safe fix, a fix whose edits overlap an earlier fix's left for a later pass."""
    chosen: list[Edit] = []
    seen: set[Edit] = set()
    for finding in findings:
        fix = finding.fix
        if fix is None or fix.applicability != SAFE:
            continue
        new = [edit for edit in fix.edits if edit not in seen]
        if any(_overlap(edit, other) for edit in new for other in chosen):
            continue
        chosen += new
        seen.update(new)
    return sorted(chosen, key=lambda edit: (edit.start, edit.end))


def _overlap(first: Edit, second: Edit) -> bool:
    if first.start == first.end or second.start == second.end:  # insertions conflict at the same point
        return first.start == second.start or (first.start < second.end and second.start < first.end)
    return first.start < second.end and second.start < first.end


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with ``edits`` (sorted, not overlapping) applied."""
    pieces, position = [], 0
    for edit in edits:
        pieces += [text[position:edit.start], edit.text]
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)


def _encoding(data: bytes) -> str:
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def _counts(findings: Iterable[Finding]) -> Counter[tuple[str, str | None]]:
    return Counter((finding.rule, finding.symbol) for finding in findings)


def fix_source(path: str, data: bytes, settings: Settings) -> FileFix:
    """Fix one file's bytes in memory (nothing is written), verified against the original."""
    first = analyse_source(path, data, settings, fixes=True)
    outcome = FileFix(path, data, found=len(first.findings), remaining=len(first.findings), error=first.error)
    fixable = [finding for finding in first.findings if finding.fix and finding.fix.applicability == SAFE]
    if first.error or not fixable:
        return outcome
    encoding = _encoding(data)
    original_text = decode(data)
    if original_text.encode(encoding) != data:
        outcome.problem = f"its {encoding} bytes do not survive a decode and encode unchanged; not fixed"
        return outcome
    passes = _passes(path, original_text, encoding, first, settings)
    if isinstance(passes, str):
        outcome.problem = passes
        return outcome
    text, current = passes
    if text == original_text:
        return outcome
    fixed = text.encode(encoding)
    outcome.problem = _verify(first, fixable, current, encoding, fixed)
    if outcome.problem is None:
        outcome.fixed, outcome.fixed_count, outcome.remaining = fixed, len(fixable), len(current.findings)
    return outcome


def _passes(path: str, text: str, encoding: str, current: FileResult, settings: Settings
            ) -> tuple[str, FileResult] | str:
    """Apply the fixes pass after pass: the final text and its analysis, or why a pass failed."""
    for _ in range(MAX_PASSES):
        edits = chosen_edits(current.findings)
        new_text = apply_edits(text, edits)
        if new_text == text:
            break
        try:
            new_data = new_text.encode(encoding)
        except UnicodeEncodeError:
            return f"the fixed source cannot be encoded as {encoding}; left unchanged"
        current = analyse_source(path, new_data, settings, fixes=True)
        if current.error is not None:
            return f"the fixed source does not parse ({current.error.message}); left unchanged"
        text = new_text
    return text, current


def _verify(before: FileResult, fixable: list[Finding], after: FileResult, encoding: str, fixed: bytes) -> str | None:
    """Why the fixed source must not replace the original; None when it may."""
    if _encoding(fixed) != encoding:
        return f"the fix would change the file's encoding ({encoding}); left unchanged"
    failed_before = {error.rule for error in before.rule_errors}
    newly_failed = sorted({error.rule or "" for error in after.rule_errors} - failed_before)
    if newly_failed:
        return f"rule `{newly_failed[0]}` fails on the fixed source; left unchanged"
    allowed = _counts(before.findings)
    allowed.subtract(_counts(fixable))
    for (rule, symbol), count in _counts(after.findings).items():
        if count > allowed[(rule, symbol)]:
            where = f" in `{symbol}`" if symbol else ""
            return f"the fix would leave or add a `{rule}` finding{where}; left unchanged"
    return None


def write_if_unchanged(file: Path, original: bytes, new: bytes) -> None:
    """Replace ``file``'s bytes with ``new`` atomically, if it still holds ``original``; else ``WriteRefused``.

    A symbolic link is followed: the file it points to is replaced, the link stays.
    """
    target = Path(os.path.realpath(file))
    try:
        current = target.read_bytes()
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError as error:
        raise WriteRefused(f"cannot read it again: {error.strerror or error}") from None
    if current != original:
        raise WriteRefused("it changed on disk after it was read; not written (run `audit fix` again)")
    try:
        replace_file(target, new, mode)
    except OSError as error:
        raise WriteRefused(f"cannot write it: {error.strerror or error}") from None


def unified_diff(path: str, before: bytes, after: bytes, encoding: str) -> str:
    """A unified diff of two versions of ``path`` (``--- path`` / ``+++ path``, as ruff prints it)."""
    old = before.decode(encoding).splitlines(keepends=True)
    new = after.decode(encoding).splitlines(keepends=True)
    lines = []
    for line in difflib.unified_diff(old, new, fromfile=path, tofile=path):
        lines.append(line if line.endswith(("\n", "\r")) else f"{line}\n\\ No newline at end of file\n")
    return "".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(slots=True)
class _Totals:
    fixed: int = 0
    files: int = 0
    remaining: int = 0
    refused: bool = False

    def summary(self, diff: bool) -> str:
        verb = "Would fix" if diff else "Fixed"
        return f"{verb} {_plural(self.fixed, 'finding')} in {_plural(self.files, 'file')} ({self.remaining} remaining)"

    def exit_code(self, diff: bool, errors: bool) -> int:
        if errors or self.refused:
            return EXIT_ERROR
        if diff:
            return EXIT_FINDINGS if self.files else EXIT_CLEAN
        return EXIT_FINDINGS if self.remaining else EXIT_CLEAN


def fix_paths(paths: Sequence[Path], settings: Settings, *, diff: bool = False, out: TextIO | None = None,
              err: TextIO | None = None) -> int:
    """Fix (or, with ``diff``, show the fixes of) every file under ``paths``; the exit code.

    Exit codes: with ``diff``, 1 when there would be changes, else 0; without, 1 when findings remain, else 0.
    2 in both when a file could not be analysed, or a fixed file could not be written.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    found = discover(paths, settings)
    for warning in found.warnings:
        print(f"audit: warning: {warning.location()}: {warning.message}", file=err)
    errors = list(found.errors)
    totals = _Totals()
    for file, outcome in _fixed_files(found.files, settings):
        error = outcome if isinstance(outcome, FileError) else _apply(file, outcome, diff, totals, out, err)
        if error is not None:
            errors.append(error)
    for error in sorted(errors, key=lambda item: item.path):
        print(f"audit: error: {error.path}: {error.message}", file=err)
    print(totals.summary(diff), file=err if diff else out)
    return totals.exit_code(diff, bool(errors))


def _read_and_fix(task: tuple[Path, Settings]) -> FileFix | FileError:
    """Read one file and fix its bytes in memory (in a worker process when there are many files)."""
    file, settings = task
    path = display_path(file)
    try:
        data = file.read_bytes()
    except OSError as error:
        return FileError(path, f"cannot read: {error.strerror or error}")
    outcome = fix_source(path, data, settings)
    return outcome.error if outcome.error is not None else outcome


def _fixed_files(files: Sequence[Path], settings: Settings) -> Iterator[tuple[Path, FileFix | FileError]]:
    """Each file with its fix, computed in worker processes for many files (writes stay in this process)."""
    tasks = [(file, settings) for file in files]
    workers = default_jobs(len(files))
    if workers < 2:
        yield from zip(files, map(_read_and_fix, tasks), strict=True)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from zip(files, pool.map(_read_and_fix, tasks, chunksize=max(1, len(tasks) // (workers * 4))),
                       strict=True)


def _apply(file: Path, outcome: FileFix, diff: bool, totals: _Totals, out: TextIO, err: TextIO) -> None:
    """Write one file's fix (or print its diff) and add it to ``totals``."""
    if outcome.problem is not None:
        print(f"audit: warning: {outcome.path}: {outcome.problem}", file=err)
    if outcome.fixed is None:
        totals.remaining += outcome.remaining
        return
    if diff:
        out.write(unified_diff(outcome.path, outcome.original, outcome.fixed, _encoding(outcome.original)))
    else:
        try:
            write_if_unchanged(file, outcome.original, outcome.fixed)
        except WriteRefused as reason:
            print(f"audit: warning: {outcome.path}: {reason}", file=err)
            totals.refused = True
            totals.remaining += outcome.found
            return
    totals.fixed += outcome.fixed_count
    totals.files += 1
    totals.remaining += outcome.remaining
