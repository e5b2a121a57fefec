"""The analysis: one file is a pure function of its bytes and the settings.

``analyse_source`` never touches the file system, so ``scan`` can farm files out
to worker processes (and, later, look results up by content hash).
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from collections.abc import Sequence
from pathlib import Path

from audit import metrics
from audit.config import Settings
from audit.discovery import discover, display_path
from audit.model import FileError, FileResult, Finding, ScanResult
from audit.project import collect_facts, run_project_rules
from audit.registry import all_rules
from audit.rule import Rule
from audit.source import SourceModule
from audit.suppress import is_suppressed

# Below this many files a worker pool costs more than it saves.
_PARALLEL_THRESHOLD = 48


class SourceError(Exception):
    """The bytes are not analysable Python; the message says why and where."""


def decode(data: bytes) -> str:
    """Decode Python source honouring a PEP 263 coding cookie and a BOM."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except SyntaxError as error:
        raise SourceError(f"cannot decode: {error.msg}") from None
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"cannot decode: {error}") from None


def parse(path: str, data: bytes) -> SourceModule:
    """Decode and parse; raises ``SourceError`` with a precise message."""
    source = decode(data)
    if "\0" in source:
        line = source.count("\n", 0, source.index("\0")) + 1
        raise SourceError(f"line {line}: source contains a NUL byte")
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        raise SourceError(f"line {error.lineno}, column {error.offset}: SyntaxError: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise SourceError("too large or too deeply nested for the Python parser") from None
    return SourceModule(path, source, tree)


def analyse_module(module: SourceModule, settings: Settings, rules: Sequence[Rule]) -> list[Finding]:
    """Run the selected rules on a parsed module and drop suppressed findings."""
    ignored = settings.ignored_for(module.path)
    findings: list[Finding] = []
    for rule in rules:
        if rule.name not in settings.select or rule.name in ignored:
            continue
        for finding in rule.check(module, settings.options):
            line_text = module.lines[finding.line - 1] if finding.line <= len(module.lines) else ""
            if not is_suppressed(line_text, rule):
                findings.append(finding)
    findings.sort(key=Finding.sort_key)
    return findings


def analyse_source(path: str, data: bytes, settings: Settings, measure: bool = False) -> FileResult:
    """Analyse one file's bytes (and measure it, for reports); errors come back in the result."""
    try:
        module = parse(path, data)
        rules = all_rules()
        result = FileResult(path, analyse_module(module, settings, rules), facts=collect_facts(module, settings, rules))
        if measure:
            result.metrics = metrics.measure(module)
        return result
    except SourceError as error:
        return FileResult(path, error=FileError(path, str(error)))
    except RecursionError:
        return FileResult(path, error=FileError(path, "too deeply nested to analyse"))
    except Exception as error:  # audit: ignore[broad-except] -- one file's crash must not end the whole scan
        message = f"internal error, please report it: {type(error).__name__}: {error}"
        return FileResult(path, error=FileError(path, message))


def analyse_file(file: Path, settings: Settings, measure: bool = False, root: Path | None = None) -> FileResult:
    """Read and analyse one file; its path is shown relative to ``root`` (default: the current directory)."""
    path = display_path(file, root)
    try:
        data = file.read_bytes()
    except OSError as error:
        return FileResult(path, error=FileError(path, f"cannot read: {error.strerror or error}"))
    return analyse_source(path, data, settings, measure)


def _worker_analyse(args: tuple[Path, Settings, bool, Path | None]) -> FileResult:
    return analyse_file(*args)


def default_jobs(file_count: int) -> int:
    if file_count < _PARALLEL_THRESHOLD:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def _run_all(tasks: list[tuple[Path, Settings, bool, Path | None]], workers: int) -> list[FileResult]:
    if workers < 2 or len(tasks) < 2:
        return [_worker_analyse(task) for task in tasks]
    from concurrent.futures import ProcessPoolExecutor  # costs start-up time: only when it pays

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_worker_analyse, tasks, chunksize=max(1, len(tasks) // (workers * 4))))


def scan(paths: Sequence[Path], settings: Settings, jobs: int | None = None, *, measure: bool = False,
         root: Path | None = None) -> ScanResult:
    """Discover the files under ``paths`` and analyse (and, for reports, measure) each one."""
    files, errors = discover(paths, settings, root)
    results = _run_all([(file, settings, measure, root) for file in files], jobs or default_jobs(len(files)))
    findings = [finding for result in results for finding in result.findings]
    errors.extend(result.error for result in results if result.error)
    project_findings, project_errors = run_project_rules(paths, files, results, settings, all_rules(), root)
    findings.extend(project_findings)
    errors.extend(project_errors)
    findings.sort(key=Finding.sort_key)
    errors.sort(key=lambda error: error.path)
    measured = sorted((result.metrics for result in results if result.metrics), key=lambda item: item.path)
    return ScanResult(files_scanned=len(files), findings=findings, errors=errors, metrics=measured)
