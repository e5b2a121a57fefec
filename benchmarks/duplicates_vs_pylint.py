"""``duplicate-code`` against pylint's ``duplicate-code`` (R0801) on the lightning sources.

Usage: ``python benchmarks/duplicates_vs_pylint.py [--tree PATH]`` (needs ``pylint`` installed).

pylint compares lines as written (comments, docstrings, imports and signatures
ignored) and reports runs of ``--min-similarity-lines`` (6 here) similar lines;
the audit compares statements with names and literals normalised and reports
runs of 6 statements. Each side's reports are matched against the other's by
overlapping line ranges in the same files, and every report found by one tool
only is given a cause: computed where it can be (a run shorter than 6
statements, a copy with renamed names or literals, code the audit leaves out by
design), else listed as unexplained.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from audit.rules.duplicate_code import is_generated, is_test_or_vendored, normalised_lines  # noqa: E402

_RANGE = re.compile(r"^==([\w.]+):\[(\d+):(\d+)\]$", re.MULTILINE)
_PLACE = re.compile(r"repeat at (.+): extract")
Span = tuple[str, int, int]


def pylint_groups(tree: Path) -> list[list[Span]]:
    done = subprocess.run([sys.executable, "-m", "pylint", "--disable=all", "--enable=duplicate-code",
                           "--min-similarity-lines=6", "--output-format=text", tree.name],
                          cwd=tree.parent, capture_output=True, text=True, check=False)
    groups = []
    for block in done.stdout.split("R0801")[1:]:
        spans = [(module.replace(".", "/") + ".py", int(start) + 1, int(end))
                 for module, start, end in _RANGE.findall(block)]
        groups.append([(path if (tree.parent / path).exists() else path[:-3] + "/__init__.py", start, end)
                       for path, start, end in spans])
    return groups


def audit_blocks(tree: Path) -> list[list[Span]]:
    done = subprocess.run([sys.executable, "-m", "audit", "scan", "--select", "duplicate-code", "--format", "json",
                           tree.name], cwd=tree.parent, capture_output=True, text=True, check=False)
    blocks = []
    for finding in json.loads(done.stdout)["findings"]:
        here = (finding["path"], finding["line"], finding["end_line"])
        length = finding["end_line"] - finding["line"]  # the message names where each copy starts
        others = []
        for place in _PLACE.search(finding["message"]).group(1).replace(" and ", ", ").split(", "):
            path, _, line = place.rpartition(":")
            if path and line.isdigit():
                others.append((path, int(line), int(line) + length))
            elif place.startswith("line "):
                others.append((finding["path"], int(place.split()[1]), int(place.split()[1]) + length))
        blocks.append([here, *others])
    return blocks


def overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] <= b[2] and b[1] <= a[2]


def matched(group: list[Span], others: list[list[Span]]) -> bool:
    """Whether another tool's report covers at least two of this group's places."""
    return any(sum(any(overlaps(span, other) for other in candidate) for span in group) >= 2 for candidate in others)


def longest_sibling_run(tree: Path, span: Span) -> int:
    """The most consecutive statements of one block that lie inside ``span`` (what the audit's windows need)."""
    module = ast.parse((tree.parent / span[0]).read_text())
    best = 0
    for node in ast.walk(module):
        for name in ("body", "orelse", "finalbody"):
            run = 0
            value = getattr(node, name, None)
            for statement in value if isinstance(value, list) else []:
                inside = span[1] <= statement.lineno and (statement.end_lineno or statement.lineno) <= span[2]
                inside = inside and not _is_docstring_or_import(statement)
                run = run + 1 if inside else 0
                best = max(best, run)
    return best


def _is_docstring_or_import(statement: ast.stmt) -> bool:
    """Statements the audit's windows never contain."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def pylint_only_cause(tree: Path, group: list[Span]) -> str:
    text = (tree.parent / group[0][0]).read_text()
    if any(is_test_or_vendored(path) or path.endswith("__init__.py") for path, _, _ in group) or is_generated(
            text.split("\n")):
        return "left out by design (tests, vendored, generated or `__init__.py`)"
    if min(longest_sibling_run(tree, span) for span in group) < 6:
        return "fewer than 6 consecutive statements of one block, docstrings and imports aside (long statements, or lines across blocks)"
    return "unexplained"


def audit_only_cause(tree: Path, block: list[Span]) -> str:
    here = block[0]
    length = here[2] - here[1]
    texts = []
    for path, start, _ in block[:2]:
        lines = (tree.parent / path).read_text().split("\n")[start - 1:start + length]
        texts.append([" ".join(line.split("#")[0].split()) for line in lines])
    if texts[0] != texts[1]:
        return "names or literals differ (pylint compares lines as written)"
    normalised = normalised_lines((tree.parent / here[0]).read_text())[here[1] - 1:here[2]]
    return "fewer than 6 similar lines for pylint" if sum(1 for line in normalised if line) < 6 else "unexplained"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="default: the installed lightning package")
    args = parser.parse_args()
    if args.tree is None:
        import lightning

        args.tree = Path(lightning.__file__).parent
    pylint, audit = pylint_groups(args.tree), audit_blocks(args.tree)
    pylint_only = [group for group in pylint if not matched(group, audit)]
    audit_only = [block for block in audit if not matched(block, pylint)]
    print(f"pylint R0801 groups: {len(pylint)}, of which {len(pylint) - len(pylint_only)} also found by audit")
    print(f"audit duplicate-code findings: {len(audit)}, of which {len(audit) - len(audit_only)} also found by pylint")
    causes = Counter()
    for group in pylint_only:
        cause = pylint_only_cause(args.tree, group)
        causes[("pylint only", cause)] += 1
        print(f"- pylint only: {', '.join(f'{p}:{s}-{e}' for p, s, e in group)}: {cause}")
    for block in audit_only:
        cause = audit_only_cause(args.tree, block)
        causes[("audit only", cause)] += 1
        print(f"- audit only: {block[0][0]}:{block[0][1]}-{block[0][2]}: {cause}")
    for (side, cause), count in sorted(causes.items()):
        print(f"{side}: {count} {cause}")


if __name__ == "__main__":
    main()
