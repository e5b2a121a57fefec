"""The ``audit`` command line.

Exit codes: 0 clean, 1 findings, 2 usage or configuration error, or a file
that could not be analysed. Heavy imports wait until a command needs them so
``audit --version`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from audit import __version__
from audit.output import COMPARE_FORMATS, FORMATS

if TYPE_CHECKING:
    from audit.cache import Cache
    from audit.config import Settings
    from audit.engine import Progress
    from audit.model import ScanResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# Formats for people at a terminal: the only ones that show a progress bar (on stderr).
PROGRESS_FORMATS = ("text", "concise")


class UsageError(Exception):
    """Wrong arguments; printed as one line and exit 2."""


def _rule_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _add_scan(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser("scan", help="analyse files and folders and print the findings",
                               description="Analyse every *.py file under PATH (default: .).")
    scan.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: .)")
    scan.add_argument("--format", choices=tuple(FORMATS), default="text",
                      help="; ".join(f"{name}: {output.help}" for name, output in FORMATS.items()))
    scan.add_argument("--select", type=_rule_list, metavar="RULE,...", help="run only these rules")
    scan.add_argument("--ignore", type=_rule_list, metavar="RULE,...", help="skip these rules")
    scan.add_argument("--config", type=Path, metavar="FILE",
                      help="pyproject.toml (or a TOML file with the [tool.audit] keys at top level)")
    scan.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: by file count)")
    scan.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    scan.add_argument("--force-exclude", action="store_true",
                      help="apply `exclude` and the default excludes to named paths too (for pre-commit)")
    scan.add_argument("-o", "--output", type=Path, metavar="FILE",
                      help="write the output here (atomically) instead of stdout")
    scan.add_argument("--statistics", action="store_true",
                      help="print how many findings each rule has (count, rule, summary) instead of the findings")
    scan.add_argument("--baseline", type=Path, metavar="FILE",
                      help="show, and fail on, only findings not recorded in FILE; stale entries are reported")
    scan.add_argument("--write-baseline", type=Path, metavar="FILE",
                      help="record the current findings in FILE (the baseline), and exit 0 unless a file failed")
    scan.add_argument("--measure-imports", action="store_true",
                      help="import each module heavy-module-import flags in a subprocess (`python -X importtime`) "
                           "and add the measured time to the finding: this runs the scanned code")
    scan.add_argument("--report-unused-suppressions", action="store_true",
                      help="warn about `# audit: ignore` and `# noqa` comments that silence no audit finding")
    scan.add_argument("--stdin-filename", type=Path, metavar="PATH",
                      help="read the source from stdin (`audit scan -`), shown as PATH and configured as PATH is")
    scan.add_argument("--no-cache", action="store_true",
                      help="neither read nor write the cache of results (.audit_cache/ at the project root)")
    scan.set_defaults(handler=_run_scan)


def _add_rules(commands: argparse._SubParsersAction) -> None:
    rules = commands.add_parser("rules", help="list the rules, or explain one",
                                description="Without NAME, list every rule; with NAME, explain it.")
    rules.add_argument("name", nargs="?", metavar="NAME", help="a rule name, e.g. broad-except")
    rules.set_defaults(handler=_run_rules)


def _add_report(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="write a markdown assessment of files and folders",
                                 description="Write a markdown assessment: what is wrong, why, what to do first, "
                                             "what it saves, and before/after estimates.")
    report.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: .)")
    report.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout")
    report.add_argument("--title", help="title (default: 'Assessment: NAME', the scanned folder's own name)")
    report.add_argument("--date", metavar="YYYY-MM-DD", help="date (default: $SOURCE_DATE_EPOCH, else today)")
    report.add_argument("--config", type=Path, metavar="FILE", help="as for `audit scan`")
    report.add_argument("--no-cache", action="store_true", help="as for `audit scan`")
    report.add_argument("--measure-imports", action="store_true",
                        help="as for `audit scan`; the start-up phase then states the measured saving")
    report.set_defaults(handler=_run_report)


def _add_compare(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser(
        "compare", help="before/after figures of two versions",
        description="Compare two versions: `audit compare BEFORE AFTER`, `--before P... --after P...`, "
                    "or two git revisions with `--git REV_A REV_B [PATH...]`. Files are paired by their path "
                    "relative to each compared root; two single files are paired with each other.")
    compare.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    compare.add_argument("--before", nargs="+", type=Path, metavar="PATH", help="the old version's roots")
    compare.add_argument("--after", nargs="+", type=Path, metavar="PATH", help="the new version's roots")
    compare.add_argument("--git", nargs=2, metavar=("REV_A", "REV_B"), help="compare two revisions of this repository")
    compare.add_argument("--format", choices=tuple(COMPARE_FORMATS), default="text",
                         help="; ".join(f"{name}: {output.help}" for name, output in COMPARE_FORMATS.items()))
    compare.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout")
    compare.add_argument("--config", type=Path, metavar="FILE", help="as for `audit scan`")
    compare.set_defaults(handler=_run_compare)


def _add_fix(commands: argparse._SubParsersAction) -> None:
    fix = commands.add_parser("fix", help="apply safe fixes (remove unused imports), verified before writing",
                              description="Apply the safe fixes of the findings under PATH (default: .): "
                                          "today, remove unused imports. Each fixed file is rescanned before it "
                                          "is written; exit 1 if findings remain (--diff: if there are changes).")
    fix.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: .)")
    fix.add_argument("--diff", action="store_true", help="print a unified diff of the fixes and write nothing")
    fix.add_argument("--select", type=_rule_list, metavar="RULE,...", help="as for `audit scan`")
    fix.add_argument("--ignore", type=_rule_list, metavar="RULE,...", help="as for `audit scan`")
    fix.add_argument("--config", type=Path, metavar="FILE", help="as for `audit scan`")
    fix.add_argument("--force-exclude", action="store_true", help="as for `audit scan`")
    fix.set_defaults(handler=_run_fix)


def _add_clean(commands: argparse._SubParsersAction) -> None:
    clean = commands.add_parser("clean", help="remove the cache of results",
                                description="Remove the cache a scan of PATH (default: .) uses: $AUDIT_CACHE_DIR, "
                                            "else `cache-dir` in [tool.audit], else .audit_cache/ at the project root.")
    clean.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="as for `audit scan` (default: .)")
    clean.add_argument("--config", type=Path, metavar="FILE", help="as for `audit scan`")
    clean.set_defaults(handler=_run_clean)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit", description="Static audit of ML training code.")
    parser.add_argument("--version", action="version", version=f"audit {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_scan(commands)
    _add_rules(commands)
    _add_report(commands)
    _add_compare(commands)
    _add_fix(commands)
    _add_clean(commands)
    return parser


def _run_scan(args: argparse.Namespace) -> int:
    from audit.cache import load_settings
    from audit.engine import scan

    paths = args.paths or [Path(".")]
    _check_scan_arguments(args)
    entries = _read_baseline(args.baseline) if args.baseline else None  # a bad baseline fails before the scan
    if _reads_stdin(args):
        return _run_scan_stdin(args, entries)
    settings, cache = load_settings(args.config, _common_start(paths), use_cache=not args.no_cache,
                                    select=args.select, ignore=args.ignore, force_exclude=args.force_exclude)
    result = scan(paths, settings, jobs=args.jobs, cache=cache, progress=_progress(args.format),
                  report_unused_suppressions=args.report_unused_suppressions)
    _print_cache_problem(cache)
    result = _with_measured_imports(result, args)
    return _finish_scan(args, result, paths, settings, entries)


def _finish_scan(args: argparse.Namespace, result: ScanResult, paths: Sequence[Path], settings: Settings,
                 entries: list[dict] | None) -> int:
    """Record or apply the baseline, print the warnings and the result; the exit code."""
    if args.write_baseline:
        _write_baseline(args.write_baseline, result)
    if entries is not None:
        result = _apply_baseline(result, entries, args.baseline, paths, settings)
    _print_warnings(result, paths)
    _emit_scan(result, args)
    if args.write_baseline or (args.exit_zero and result.exit_code == EXIT_FINDINGS):
        return EXIT_ERROR if result.errors else EXIT_CLEAN
    return result.exit_code


def _reads_stdin(args: argparse.Namespace) -> bool:
    """``audit scan -``, or ``--stdin-filename`` without paths, reads stdin; ``-`` stands alone."""
    dash = Path("-")
    if dash in args.paths and len(args.paths) > 1:
        raise UsageError("`-` (read stdin) cannot be combined with other paths")
    reads = args.paths == [dash] or (not args.paths and args.stdin_filename is not None)
    if args.stdin_filename is not None and not reads:
        raise UsageError("--stdin-filename names the source read from stdin: use it with `-` and no other path")
    if reads and args.measure_imports:
        raise UsageError("--measure-imports imports modules from disk: it cannot measure source read from stdin")
    return reads


def _run_scan_stdin(args: argparse.Namespace, entries: list[dict] | None) -> int:
    """Analyse stdin; its name (``--stdin-filename``) decides the config found and the settings that apply."""
    from audit.engine import scan_stdin

    name = args.stdin_filename
    settings = _uncached_settings(args, name.absolute() if name is not None else Path.cwd())
    result = scan_stdin(_read_stdin(), name, settings, report_unused_suppressions=args.report_unused_suppressions)
    return _finish_scan(args, result, [name or Path("-")], settings, entries)


def _read_stdin() -> bytes:
    if sys.stdin is None:
        raise UsageError("cannot read stdin: it is closed")
    try:
        return sys.stdin.buffer.read()
    except OSError as error:
        raise UsageError(f"cannot read stdin: {error.strerror or error}") from None


def _check_scan_arguments(args: argparse.Namespace) -> None:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.baseline and args.write_baseline:
        raise UsageError("give --baseline or --write-baseline, not both: a check run never rewrites the baseline")
    if args.statistics and args.format not in ("text", "concise", "json"):
        raise UsageError(f"--statistics prints text or json, not --format {args.format}")


def _read_baseline(path: Path) -> list[dict]:
    from audit.baseline import BaselineError, read

    try:
        return read(path)
    except BaselineError as error:
        raise UsageError(str(error)) from None


def _write_baseline(path: Path, result: ScanResult) -> None:
    from audit.baseline import BaselineError, write

    try:
        write(path, result.findings)
    except BaselineError as error:
        raise UsageError(str(error)) from None
    count = len(result.findings)
    print(f"audit: recorded {count} finding{'' if count == 1 else 's'} in the baseline {path}", file=sys.stderr)


def _apply_baseline(result: ScanResult, entries: list[dict], path: Path, paths: Sequence[Path],
                    settings: Settings) -> ScanResult:
    from audit.baseline import apply, scope, stale_line
    from audit.discovery import display_path

    result = apply(result, entries, path, scope([display_path(root) for root in paths], settings))
    line = stale_line(result.baseline)
    if line:
        print(f"audit: warning: {line}", file=sys.stderr)
    return result


def _emit_scan(result: ScanResult, args: argparse.Namespace) -> None:
    """The chosen format (or the statistics) on stdout, or written atomically to ``--output``."""
    import io

    stream = io.StringIO() if args.output else sys.stdout
    if args.statistics:
        from audit.output import statistics

        (statistics.emit_json if args.format == "json" else statistics.emit_text)(result, stream)
        for error in result.errors:
            print(f"audit: error: {error.path}: {error.message}", file=sys.stderr)
    elif args.format in ("json", "sarif") or result.files_scanned or result.errors:
        FORMATS[args.format].emit(result, stream)  # never "No findings" for a scan that found no file
    if args.output:
        _write(stream.getvalue(), args.output)


def _uncached_settings(args: argparse.Namespace, start: Path) -> Settings:
    """The config above ``start`` with the command line's ``--select``/``--ignore``/``--force-exclude``."""
    from audit.cache import load_settings

    settings, _ = load_settings(args.config, start, use_cache=False, select=args.select, ignore=args.ignore,
                                force_exclude=args.force_exclude)
    return settings


def _with_measured_imports(result: ScanResult, args: argparse.Namespace) -> ScanResult:
    """With ``--measure-imports``, each flagged entry module's import time added to its findings."""
    if not args.measure_imports:
        return result
    from audit.importtime import annotate

    return annotate(result)


def _run_fix(args: argparse.Namespace) -> int:
    from audit.fix import fix_paths

    paths = args.paths or [Path(".")]
    settings = _uncached_settings(args, _common_start(paths))
    return fix_paths(paths, settings, diff=args.diff)


def _run_report(args: argparse.Namespace) -> int:
    from audit.cache import load_settings
    from audit.engine import scan
    from audit.report import ReportError, ReportOptions, default_title, render_report, report_date

    paths = args.paths or [Path(".")]
    try:
        date = report_date(args.date)
    except ReportError as error:
        raise UsageError(str(error)) from None
    settings, cache = load_settings(args.config, _common_start(paths), use_cache=not args.no_cache)
    result = scan(paths, settings, measure=True, cache=cache)
    _print_cache_problem(cache)
    result = _with_measured_imports(result, args)
    _print_warnings(result, paths)
    if not result.metrics and result.errors:
        for error in result.errors:
            print(f"audit: error: {error.path}: {error.message}", file=sys.stderr)
        return EXIT_ERROR
    scope = [path.as_posix() for path in paths]
    options = ReportOptions(args.title or default_title(paths), date, scope)
    _write(render_report(result, options), args.output)
    return EXIT_ERROR if result.errors else EXIT_CLEAN


def _run_clean(args: argparse.Namespace) -> int:
    from audit.cache import CacheFolderError, clean, located_cache
    from audit.discovery import display_path

    paths = args.paths or [Path(".")]
    folder = located_cache(args.config, _common_start(paths))
    try:
        size = clean(folder)
    except CacheFolderError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot remove {display_path(folder)}: {error.strerror or error}") from None
    if size is None:
        print(f"No cache at {display_path(folder)}")
    else:
        print(f"Removed {display_path(folder)} ({size / 1000:.1f} kB)")
    return EXIT_CLEAN


def _progress(output_format: str) -> Progress | None:
    """A progress bar on stderr for formats people read (never in machine output); it shows only at a terminal."""
    if output_format not in PROGRESS_FORMATS:
        return None
    from audit.progress import terminal_progress

    return terminal_progress(sys.stderr)


def _print_cache_problem(cache: Cache | None) -> None:
    """The one warning a cache that could not be written gets; the scan itself is complete."""
    if cache is not None and cache.problem is not None:
        print(f"audit: warning: {cache.problem}; the results are complete but not cached", file=sys.stderr)


def _print_warnings(result: ScanResult, paths: Sequence[Path]) -> None:
    """Warnings on stderr, one line each; a scan that found no file to analyse says so (and exits 0, as ruff)."""
    from audit.discovery import display_path

    for warning in result.warnings:
        print(f"audit: warning: {warning.location()}: {warning.message}", file=sys.stderr)
    for unused in result.unused_suppressions or ():
        print(f"audit: warning: {unused.path}:{unused.line}: {unused.message()}", file=sys.stderr)
    if not result.files_scanned and not result.errors:
        named = ", ".join(display_path(path) for path in paths)
        print(f"audit: warning: no Python files to analyse under {named}", file=sys.stderr)


def _compare_sides(args: argparse.Namespace) -> tuple[list[Path], list[Path]]:
    if args.before or args.after:
        if not (args.before and args.after) or args.paths:
            raise UsageError("give both --before and --after, and no positional paths")
        return args.before, args.after
    if len(args.paths) != 2:
        raise UsageError("compare takes two paths (BEFORE AFTER), --before/--after, or --git REV_A REV_B")
    return [args.paths[0]], [args.paths[1]]


def _run_compare(args: argparse.Namespace) -> int:
    from audit import compare
    from audit.config import load_settings

    settings = load_settings(args.config, Path.cwd())
    try:
        if args.git:
            if args.before or args.after:
                raise UsageError("--git takes paths as positional arguments, not --before/--after")
            labels = (args.git[0], args.git[1])
            comparison = compare.compare_revisions(labels, args.paths, settings)
        else:
            before, after = _compare_sides(args)
            labels = (" ".join(p.as_posix() for p in before), " ".join(p.as_posix() for p in after))
            comparison = compare.compare_paths(before, after, settings)
    except compare.CompareError as error:
        raise UsageError(str(error)) from None
    import io

    from audit.output.comparison import error_lines

    rendered = io.StringIO()
    COMPARE_FORMATS[args.format].emit(comparison, rendered, labels)
    _write(rendered.getvalue(), args.output)
    for line in error_lines(comparison):
        print(f"audit: error: {line}", file=sys.stderr)
    return EXIT_ERROR if comparison.has_errors else EXIT_CLEAN


def _write(text: str, output: Path | None) -> None:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # undecodable file names stay visible
    if output is None:
        sys.stdout.write(text)
        return
    from audit.output import write_atomically

    try:
        write_atomically(output, text)
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror}") from None


def _common_start(paths: Sequence[Path]) -> Path:
    """Where the config search starts: the deepest folder holding every path."""
    absolute = [str(path.absolute()) for path in paths]
    return Path(os.path.commonpath(absolute)) if absolute else Path.cwd()


def _run_rules(args: argparse.Namespace) -> int:
    from rich.console import Console

    from audit.output.rules import print_rule, print_rule_table
    from audit.registry import get_rule

    console = Console()
    if args.name is None:
        print_rule_table(console)
        return EXIT_CLEAN
    rule = get_rule(args.name)
    if rule is None:
        raise UsageError(f"unknown rule `{args.name}` (run `audit rules` for the list)")
    print_rule(rule, console)
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    from audit.rule import ConfigError

    try:
        return handler(args)
    except (UsageError, ConfigError) as error:
        print(f"audit: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except ModuleNotFoundError as error:
        print(f"audit: error: missing dependency '{(error.name or '?').split('.')[0]}': install audit with its dependencies "
              "(`pip install -e .` in the repository)", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
