"""The analysis: one file is a pure function of its bytes and the settings.

``analyse_source`` never touches the file system, so ``scan`` can farm files out
to worker processes (and, later, look results up by content hash).
"""

from __future__ import annotations

import ast
import gc
import io
import os
import re
import sys
import tokenize
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from audit.config import Settings
from audit.discovery import discover, display_path, is_force_excluded
from audit.fingerprint import with_fingerprints, with_fingerprints_from_files
from audit.model import FileError, FileResult, Finding, ScanResult, ScanWarning, UnusedSuppression
from audit.project import collect_facts, covers_project, other_file_patterns, run_project_rules
from audit.registry import all_rules, rule_names
from audit.rule import ProjectRule, Rule
from audit.source import SourceModule, line_of, split_lines
from audit.suppress import Suppressions, read_suppressions

if TYPE_CHECKING:
    from audit.cache import Cache

# Given the number of files to analyse, a context that yields the function to call as each one is done.
Progress = Callable[[int], AbstractContextManager[Callable[[], None]]]

# Below this many files a worker pool costs more than it saves.
_PARALLEL_THRESHOLD = 48


class SourceError(Exception):
    """The bytes are not analysable Python; the message says why and where."""


def decode(data: bytes) -> str:
    """Decode Python source honouring a PEP 263 coding cookie and a BOM."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
    except SyntaxError as error:
        raise SourceError(f"cannot decode: {error.msg}") from None
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"cannot decode: {error}") from None
    if encoding not in ("utf-8", "utf-8-sig"):
        _reject_surrogates(source, encoding)
    return source


def _reject_surrogates(source: str, encoding: str) -> None:
    """Codecs such as ``unicode_escape`` can produce lone surrogates, which no Python source may hold."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as error:
        line = line_of(source, error.start)
        raise SourceError(f"cannot decode: line {line}: the {encoding} coding produces a lone surrogate "
                          f"({source[error.start]!a}), which is not valid in Python source") from None


# Constructs of newer grammars, each with the version that accepts it, recognised on the line of a SyntaxError.
_NEWER_SYNTAX: tuple[tuple[tuple[int, int], str, re.Pattern[str]], ...] = (
    ((3, 13), "type parameter defaults, PEP 696",
     re.compile(r"^\s*(?:(?:async\s+)?def|class|type)\s+\w+\s*\[[^\]]*=")),
    ((3, 12), "`type` alias, PEP 695", re.compile(r"^\s*type\s+[^\W\d]\w*\s*[\[=]")),
    ((3, 12), "type parameters, PEP 695", re.compile(r"^\s*(?:(?:async\s+)?def|class)\s+\w+\s*\[")),
    ((3, 14), "template string, PEP 750",
     re.compile(r"(?:^|[\s(\[{,=:+*/%<>!&|^~-])(?:[tT][rR]?|[rR][tT])[\"']")),
    ((3, 14), "`except` without parentheses, PEP 758",
     re.compile(r"^\s*except\*?\s*[^\s(:][^:]*,[^:]*:(?!.*\bas\b)")),
)

# f-string errors of Python 3.11 that PEP 701 lifts: quotes reused inside, backslashes, comments.
_PEP_701_LIFTED = ("expecting '}'", "cannot include a backslash", "cannot include '#'", "unmatched")


def newer_syntax(line_text: str, message: str, running: tuple[int, int]) -> tuple[tuple[int, int], str] | None:
    """The newer Python (and the construct) a syntax error on ``line_text`` points to, if any."""
    for version, construct, pattern in _NEWER_SYNTAX:
        if running < version and pattern.search(line_text):
            return version, construct
    if running < (3, 12) and message.startswith("f-string") and any(part in message for part in _PEP_701_LIFTED):
        return (3, 12), "f-string, PEP 701"
    return None


def parse(path: str, data: bytes) -> SourceModule:
    """Decode and parse; raises ``SourceError`` with a precise message."""
    source = decode(data)
    if "\0" in source:
        line = line_of(source, source.index("\0"))
        raise SourceError(f"line {line}: source contains a NUL byte")
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        raise SourceError(_syntax_error_message(source, error)) from None
    except (RecursionError, MemoryError):
        raise SourceError("too large or too deeply nested for the Python parser") from None
    return SourceModule(path, source, tree)


def _syntax_error_message(source: str, error: SyntaxError) -> str:
    where = f"line {error.lineno}, column {error.offset}"
    lines = split_lines(source)
    line_text = lines[error.lineno - 1] if error.lineno and 0 < error.lineno <= len(lines) else ""
    newer = newer_syntax(line_text, error.msg, sys.version_info[:2])
    if newer is None:
        return f"{where}: SyntaxError: {error.msg}"
    version = ".".join(map(str, newer[0]))
    running = ".".join(map(str, sys.version_info[:2]))
    return f"{where}: needs Python ≥ {version} syntax ({newer[1]}); run audit under {version} (this is {running})"


def analyse_module(module: SourceModule, settings: Settings, rules: Sequence[Rule]) -> FileResult:
    """Run the selected rules on a parsed module, drop suppressed findings, collect warnings.

    A rule that fails loses only its own findings for this file: the failure is a rule error
    (unless the file silences the rule as a whole).
    """
    result = FileResult(module.path)
    suppressions = read_suppressions(module.source, module.lines, rule_names(),
                                     module.nodes(ast.Constant, ast.JoinedStr))
    result.warnings = [ScanWarning(module.path, message, line) for line, message in suppressions.warnings]
    result.suppressions = suppressions or None
    ignored = settings.ignored_for(module.path)
    for rule in rules:
        if rule.name not in settings.select or rule.name in ignored:
            continue
        # A rule silenced for the whole file still runs, so its directive can be judged used or not.
        found, error = _run_rule(rule, module, settings)
        if error is not None and not suppressions.whole_file.covers(rule):
            result.rule_errors.append(error)
        result.findings.extend(finding for finding in found if not _suppressed(suppressions, rule, finding))
    result.findings = with_fingerprints(result.findings, module)
    return result


def _suppressed(suppressions: Suppressions, rule: Rule, finding: Finding) -> bool:
    """A directive on the finding's line, or on the other line the rule names for it, silences it."""
    if suppressions.suppresses(rule, finding.line):
        return True
    return finding.also_suppressed_at is not None and suppressions.suppresses(rule, finding.also_suppressed_at)


def _run_rule(rule: Rule, module: SourceModule, settings: Settings) -> tuple[list[Finding], FileError | None]:
    """The rule's findings, or none and the error that stopped it."""
    try:
        return list(rule.check(module, settings.options)), None
    except RecursionError:
        return [], FileError(module.path, f"rule `{rule.name}` failed: too deeply nested to analyse", rule.name)
    except Exception as error:  # audit: ignore[broad-except] -- one rule's bug must not cost the other rules
        message = f"rule `{rule.name}` failed, please report it: {type(error).__name__}: {error}"
        return [], FileError(module.path, message, rule.name)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector while one file is analysed.

    A parsed file is hundreds of thousands of objects and holds no garbage cycles
    worth collecting midway; the collector's full passes over them made the time
    per function grow with the size of the file (see ``benchmarks/bench_scaling.py``).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyse_source(path: str, data: bytes, settings: Settings, measure: bool = False, *,
                   fixes: bool = False) -> FileResult:
    """Analyse one file's bytes (and measure it, for reports); errors come back in the result.

    ``fixes`` attaches each fixable finding's ``Fix`` (``audit.fixes``; it costs a libcst parse per fixed statement).
    """
    with _cyclic_gc_paused():
        return _analyse_source(path, data, settings, measure, fixes)


def _analyse_source(path: str, data: bytes, settings: Settings, measure: bool, fixes: bool = False) -> FileResult:
    try:
        module = parse(path, data)
        rules = all_rules()
        result = analyse_module(module, settings, rules)
        if fixes:
            from audit.fixes import attach_fixes

            result.findings, fix_warnings = attach_fixes(module, result.findings)
            result.warnings += fix_warnings
        result.facts = collect_facts(module, settings, rules)
        if measure:
            from audit import metrics  # radon: only reports measure

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


# A file to analyse: the file, the settings, whether to measure, the display root, and its bytes when already read.
_Task = tuple[Path, Settings, bool, Path | None, bytes | None]


def _worker_analyse(task: _Task) -> FileResult:
    file, settings, measure, root, data = task
    if data is None:
        return analyse_file(file, settings, measure, root)
    return analyse_source(display_path(file, root), data, settings, measure)


def default_jobs(file_count: int) -> int:
    if file_count < _PARALLEL_THRESHOLD:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def _run_all(tasks: list[_Task], workers: int, progress: Progress | None = None) -> list[FileResult]:
    with progress(len(tasks)) if progress is not None else nullcontext(lambda: None) as advance:
        if workers < 2 or len(tasks) < 2:
            return [_advanced(_worker_analyse(task), advance) for task in tasks]
        from concurrent.futures import ProcessPoolExecutor  # costs start-up time: only when it pays

        with ProcessPoolExecutor(max_workers=workers) as pool:
            return [_advanced(result, advance)
                    for result in pool.map(_worker_analyse, tasks, chunksize=max(1, len(tasks) // (workers * 4)))]


def _advanced(result: FileResult, advance: Callable[[], None]) -> FileResult:
    advance()
    return result


def scan(paths: Sequence[Path], settings: Settings, jobs: int | None = None, *, measure: bool = False,
         root: Path | None = None, cache: Cache | None = None, progress: Progress | None = None,
         report_unused_suppressions: bool = False) -> ScanResult:
    """Discover the files under ``paths`` and analyse (and, for reports, measure) each one.

    With ``cache``, files whose results it holds are not analysed again (see ``audit.cache``);
    ``progress`` is told how many files are analysed, and when each is done.
    """
    # The index is keyed by every input of a file's analysis besides its bytes: a new input belongs in the key.
    index = cache.index(settings, measure, root) if cache is not None else None
    rules = index.project_rules(settings) if index is not None else all_rules()
    found = discover(paths, settings, root, other_file_patterns(rules, settings))

    def analyse(files: list[tuple[Path, bytes | None]]) -> list[FileResult]:
        return _run_all([(file, settings, measure, root, data) for file, data in files],
                        jobs or default_jobs(len(files)), progress)

    if index is None:
        results = analyse([(file, None) for file in found.files])
    else:
        results = index.results(found.files, root, analyse)
        index.save()
    merged = ScanResult(len(found.files), [], found.errors, [], found.warnings)
    for result in results:
        merged.findings += result.findings
        merged.errors += [result.error] if result.error else result.rule_errors
        merged.warnings += result.warnings
        if result.metrics:
            merged.metrics.append(result.metrics)
    project_findings, project_errors = run_project_rules(paths, found, results, settings, rules, root)
    merged.findings += with_fingerprints_from_files(project_findings, root)
    merged.errors += project_errors
    if report_unused_suppressions:
        merged.unused_suppressions = unused_suppressions(results, settings, covers_project(paths))
    merged.findings.sort(key=Finding.sort_key)
    merged.errors.sort(key=lambda error: (error.path, error.rule or ""))
    merged.warnings.sort(key=ScanWarning.sort_key)
    merged.metrics.sort(key=lambda item: item.path)
    return merged


def unused_suppressions(results: Sequence[FileResult], settings: Settings,
                        project_rules_ran: bool) -> list[UnusedSuppression]:
    """Suppressions in the analysed files that silenced nothing, judged only on the rules that ran in full.

    A rule off for the file (``select``, ``ignore``, ``per-file-ignores``) makes a directive naming it
    unused, as ruff's RUF100 says of codes not enabled. A rule whose findings are not all known (a project
    rule when phase 2 did not run, a rule that failed on the file) leaves the directives that may silence
    it unjudged.
    """
    rules = all_rules()
    project = {rule.name for rule in rules if isinstance(rule, ProjectRule)}
    found: list[UnusedSuppression] = []
    for result in results:
        if result.suppressions is None:
            continue
        enabled = settings.select - settings.ignored_for(result.path)
        unknown = {error.rule for error in result.rule_errors if error.rule}
        if not project_rules_ran:
            unknown |= project & enabled
        found += result.suppressions.unused(result.path, rules, enabled, unknown)
    return sorted(found, key=UnusedSuppression.sort_key)


def scan_stdin(data: bytes, filename: Path | None, settings: Settings, *,
               report_unused_suppressions: bool = False) -> ScanResult:
    """Analyse source read from standard input, shown as ``filename`` (``-`` without one).

    The name counts as a path named on the command line: ``per-file-ignores`` match it, and
    ``exclude`` skips it only under ``--force-exclude``. Project rules need whole folders: none run.
    """
    if filename is not None and settings.force_exclude and is_force_excluded(filename, settings):
        return ScanResult(0, [], [])
    result = analyse_source("-" if filename is None else display_path(filename), data, settings)
    errors = [result.error] if result.error else result.rule_errors
    scanned = ScanResult(1, result.findings, errors, [], result.warnings)
    if report_unused_suppressions:
        scanned.unused_suppressions = unused_suppressions([result], settings, project_rules_ran=False)
    return scanned
