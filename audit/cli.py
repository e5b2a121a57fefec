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
from audit.output import FORMATS

if TYPE_CHECKING:
    from audit.model import ScanResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


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
    scan.add_argument("--measure-imports", action="store_true",
                      help="import each module heavy-module-import flags in a subprocess (`python -X importtime`) "
                           "and add the measured time to the finding: this runs the scanned code")
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
    compare.add_argument("--format", choices=("markdown", "text", "json"), default="text")
    compare.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout")
    compare.add_argument("--config", type=Path, metavar="FILE", help="as for `audit scan`")
    compare.set_defaults(handler=_run_compare)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit", description="Static audit of ML training code.")
    parser.add_argument("--version", action="version", version=f"audit {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_scan(commands)
    _add_rules(commands)
    _add_report(commands)
    _add_compare(commands)
    return parser


def _run_scan(args: argparse.Namespace) -> int:
    from audit.config import load_settings, with_cli_overrides
    from audit.engine import scan

    paths = args.paths or [Path(".")]
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    settings = load_settings(args.config, _common_start(paths))
    settings = with_cli_overrides(settings, args.select, args.ignore, force_exclude=args.force_exclude)
    result = scan(paths, settings, jobs=args.jobs)
    if args.measure_imports:
        from audit.importtime import annotate

        result = annotate(result)
    _print_warnings(result, paths)
    if args.format == "json" or result.files_scanned or result.errors:
        FORMATS[args.format].emit(result, sys.stdout)  # never "No findings" for a scan that found no file
    if args.exit_zero and result.exit_code == EXIT_FINDINGS:
        return EXIT_CLEAN
    return result.exit_code


def _run_report(args: argparse.Namespace) -> int:
    from audit.config import load_settings
    from audit.engine import scan
    from audit.report import ReportError, ReportOptions, default_title, render_report, report_date

    paths = args.paths or [Path(".")]
    try:
        date = report_date(args.date)
    except ReportError as error:
        raise UsageError(str(error)) from None
    settings = load_settings(args.config, _common_start(paths))
    result = scan(paths, settings, measure=True)
    if args.measure_imports:
        from audit.importtime import annotate

        result = annotate(result)
    _print_warnings(result, paths)
    if not result.metrics and result.errors:
        for error in result.errors:
            print(f"audit: error: {error.path}: {error.message}", file=sys.stderr)
        return EXIT_ERROR
    scope = [path.as_posix() for path in paths]
    options = ReportOptions(args.title or default_title(paths), date, scope)
    _write(render_report(result, options), args.output)
    return EXIT_ERROR if result.errors else EXIT_CLEAN


def _print_warnings(result: ScanResult, paths: Sequence[Path]) -> None:
    """Warnings on stderr, one line each; a scan that found no file to analyse says so (and exits 0, as ruff)."""
    from audit.discovery import display_path

    for warning in result.warnings:
        print(f"audit: warning: {warning.location()}: {warning.message}", file=sys.stderr)
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
    _write(compare.RENDERERS[args.format](comparison, labels), args.output)
    for line in compare.error_lines(comparison):
        print(f"audit: error: {line}", file=sys.stderr)
    return EXIT_ERROR if comparison.has_errors else EXIT_CLEAN


def _write(text: str, output: Path | None) -> None:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # undecodable file names stay visible
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
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
