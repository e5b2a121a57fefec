"""Agreement of ``unused-import`` with ``ruff --select F401`` and of ``high-complexity`` with ``radon cc``.

Usage: ``python benchmarks/agreement.py [--jobs N] [--output reports/agreement.md]``

Not a test: it reads the installed torch sources, the Python standard library and
every other package of the running environment (lightning 2.6.6 on its own). Every
tool gets the same explicit list of files. Each difference is classified by a
cause read off the file itself (a file-level ``noqa``, a suppression comment, a
parse error, a nested class radon does not descend into); one without a known
cause is listed as unexplained.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.config import settings_from_table  # noqa: E402
from audit.engine import scan  # noqa: E402

SITE = Path(sysconfig.get_paths()["purelib"])
STDLIB = Path(sysconfig.get_paths()["stdlib"])
CHUNK = 400  # files per ruff/radon command line
_FILE_NOQA = re.compile(r"^#\s*(?:ruff|flake8)\s*:\s*noqa\b(?P<codes>\s*:.*)?", re.IGNORECASE | re.MULTILINE)
_LINE_NOQA = re.compile(r"#\s*noqa(?!\s*:)|#\s*noqa\s*:[\s,]*(?:[A-Z]+[0-9]+[\s,]*)*", re.IGNORECASE)
_NAME = re.compile(r"`([^`]*)`")

Key = tuple[str, int, str]  # path, line, what (imported name or function complexity)


@dataclass
class Corpus:
    name: str
    files: list[Path]


@dataclass
class Comparison:
    """What each tool found in one corpus, and each difference with its cause."""

    corpus: str
    files: int
    anchor: int = 0
    ours: int = 0
    agreed: int = 0
    causes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, cause: str, where: str) -> None:
        self.causes[cause].append(where)

    def row(self) -> str:
        differences = sum(len(items) for items in self.causes.values())
        return (f"| {self.corpus} | {self.files} | {self.anchor} | {self.ours} | {self.agreed} | {differences} "
                f"| {self.unexplained} |")

    @property
    def unexplained(self) -> int:
        return sum(len(items) for cause, items in self.causes.items() if cause.startswith("unexplained"))


def python_files(root: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Every ``.py`` file under ``root``, minus ``__pycache__`` and the ``skip`` folders."""
    skipped = {path.resolve() for path in skip}
    found: list[Path] = []
    for current, dirnames, filenames in os.walk(root):
        base = Path(current)
        dirnames[:] = sorted(name for name in dirnames
                             if name != "__pycache__" and (base / name).resolve() not in skipped)
        found.extend(base / name for name in sorted(filenames) if name.endswith(".py"))
    return found


def corpora() -> list[Corpus]:
    torch_root, lightning_root = SITE / "torch", SITE / "lightning"
    return [
        Corpus("torch", python_files(torch_root)),
        Corpus("lightning 2.6.6", python_files(lightning_root)),
        Corpus("standard library", python_files(STDLIB, skip=[STDLIB / "site-packages"])),
        Corpus("other installed packages", python_files(SITE, skip=[torch_root, lightning_root])),
    ]


def chunks(files: list[Path]) -> Iterator[list[str]]:
    for start in range(0, len(files), CHUNK):
        yield [str(path) for path in files[start:start + CHUNK]]


def run_ruff(files: list[Path], jobs: int) -> dict[Key, str]:
    """F401 findings as ``(path, line, name) -> message``."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")

    def one(batch: list[str]) -> list[dict]:
        done = subprocess.run([ruff, "check", "--isolated", "--no-cache", "--select", "F401", "--output-format",
                               "json", "--exit-zero", *batch], capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    found: dict[Key, str] = {}
    with ThreadPoolExecutor(jobs) as pool:
        for items in pool.map(one, chunks(files)):
            for item in items:
                if item.get("code") == "F401":
                    name = _NAME.search(item["message"])
                    found[(item["filename"], item["location"]["row"], name.group(1) if name else "")] = item["message"]
    return found


def run_radon(files: list[Path], jobs: int) -> tuple[dict[tuple[str, int], int], dict[str, str]]:
    """Every function's and method's complexity (closures included) as ``(path, line) -> complexity``,
    and the files radon could not analyse."""
    radon = shutil.which("radon") or str(Path(sys.executable).parent / "radon")

    def one(batch: list[str]) -> dict:
        done = subprocess.run([radon, "cc", "-j", *batch], capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    blocks_found: dict[tuple[str, int], int] = {}
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(jobs) as pool:
        for result in pool.map(one, chunks(files)):
            for path, blocks in result.items():
                if isinstance(blocks, dict):
                    failed[path] = blocks.get("error", "?")
                    continue
                pending = list(blocks)
                while pending:
                    block = pending.pop()
                    pending.extend(block.get("closures", []) + block.get("methods", []))
                    if block["type"] in ("function", "method"):
                        blocks_found[(path, block["lineno"])] = block["complexity"]
    return blocks_found, failed


def run_audit(files: list[Path], jobs: int) -> tuple[dict[Key, str], dict[tuple[str, int], int], dict[str, str]]:
    """unused-import findings, every function's complexity, and files audit could not analyse."""
    settings = settings_from_table({"select": ["unused-import", "high-complexity"], "max-complexity": 0},
                                   root=Path("/"), source=None)
    result = scan(files, settings, jobs=jobs, root=Path("/"))
    imports: dict[Key, str] = {}
    complexity: dict[tuple[str, int], int] = {}
    for finding in result.findings:
        path = "/" + finding.path.lstrip("/")
        if finding.rule == "unused-import":
            name = _NAME.search(finding.message)
            imports[(path, finding.line, name.group(1) if name else "")] = finding.message
        else:
            complexity[(path, finding.line)] = int(finding.value or 0)
    errors = {"/" + error.path.lstrip("/"): error.message for error in result.errors}
    return imports, complexity, errors


class Source:
    """A file's text and tree, read once per classified difference."""

    _cache: dict[str, tuple[list[str], str, ast.Module | None]] = {}

    @classmethod
    def read(cls, path: str) -> tuple[list[str], str, ast.Module | None]:
        if path not in cls._cache:
            data = Path(path).read_bytes()
            try:
                tree = ast.parse(data)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            text = data.decode("utf-8", "replace")
            cls._cache[path] = (text.split("\n"), text, tree)
        return cls._cache[path]


def file_noqa(text: str, code: str = "F401") -> bool:
    """A file-level ``# ruff: noqa`` / ``# flake8: noqa`` that covers ``code`` (all codes, or a list with it)."""
    for match in _FILE_NOQA.finditer(text):
        codes = match.group("codes")
        if codes is None or code in codes.upper():
            return True
    return False


def import_cause(path: str, line: int, audit_errors: dict[str, str], audit_reports: bool) -> str:
    lines, text, tree = Source.read(path)
    if path in audit_errors:
        return f"audit could not analyse the file ({audit_errors[path]})"
    if audit_reports and file_noqa(text):
        return "file-level `# ruff: noqa` / `# flake8: noqa` (audit reads only line comments)"
    line_text = lines[line - 1] if line <= len(lines) else ""
    if not audit_reports and "audit: ignore" in line_text:
        return "`# audit: ignore` on the line (ruff does not read it)"
    if not audit_reports and re.search(r"#\s*noqa", line_text, re.IGNORECASE):
        return "a `# noqa` comment audit reads as covering the line and ruff does not"
    return "unexplained"


def nested_class_method(tree: ast.Module, line: int) -> tuple[ast.ClassDef, str] | None:
    """The innermost class nested in a function or class around the function at ``line``, and its name."""
    stack: list[tuple[ast.AST, ast.ClassDef | None, bool]] = [(tree, None, False)]  # node, its class, enclosed
    while stack:
        node, owner, enclosed = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == line:
            return (owner, node.name) if owner is not None else None
        is_class = isinstance(node, ast.ClassDef)
        is_scope = is_class or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for child in ast.iter_child_nodes(node):
            child_owner = node if is_class and enclosed else owner
            stack.append((child, child_owner, enclosed or is_scope))
    return None


def radon_method_complexity(owner: ast.ClassDef, name: str, line: int) -> int | None:
    """Radon's own visitor applied to the nested class: the figure ``radon cc`` computes but does not print."""
    from radon.visitors import ComplexityVisitor

    pending = [*ComplexityVisitor.from_ast(owner).classes[0].methods]
    while pending:
        block = pending.pop()
        if block.lineno == line and block.name == name:
            return block.complexity
        pending.extend(block.closures)
    return None


def complexity_cause(path: str, line: int, audit_errors: dict[str, str], radon_errors: dict[str, str],
                     ours: int | None) -> str:
    lines, text, tree = Source.read(path)
    if path in audit_errors:
        return f"audit could not analyse the file ({audit_errors[path]})"
    if path in radon_errors:
        return f"radon could not analyse the file ({radon_errors[path]})"
    nested = nested_class_method(tree, line) if ours is not None and tree is not None else None
    if nested is not None:
        if radon_method_complexity(*nested, line) == ours:
            return ("a method of a class nested in a function or class: `radon cc` does not print it; radon's "
                    "visitor on that class gives the same figure")
        return "unexplained"
    line_text = lines[line - 1] if line <= len(lines) else ""
    if ours is None and file_noqa(text, "C901"):
        return "a file-level `# flake8: noqa` / `# ruff: noqa` silences high-complexity in the whole file, as in ruff"
    if ours is None and _LINE_NOQA.search(line_text):
        return "`# noqa` on the `def` line suppresses high-complexity (C901, or a bare noqa)"
    return "unexplained"


def compare_imports(corpus: Corpus, anchor: dict[Key, str], ours: dict[Key, str],
                    errors: dict[str, str]) -> tuple[Comparison, Comparison]:
    """Outside ``__init__.py`` (the target) and inside it (our re-export policy), separately."""
    outside = Comparison(corpus.name, sum(1 for path in corpus.files if path.name != "__init__.py"))
    inside = Comparison(corpus.name, len(corpus.files) - outside.files)
    for key in anchor.keys() | ours.keys():
        target = inside if key[0].endswith("/__init__.py") else outside
        target.anchor += key in anchor
        target.ours += key in ours
        if key in anchor and key in ours:
            target.agreed += 1
            continue
        if target is inside and key in anchor:
            cause = "re-export: audit skips imports of an `__init__.py` without `__all__`"
        else:
            cause = import_cause(key[0], key[1], errors, key in ours)
        side = "audit only" if key in ours else "ruff only"
        target.add(f"{cause} [{side}]", f"{key[0]}:{key[1]} `{key[2]}`")
    return outside, inside


def compare_complexity(corpus: Corpus, anchor: dict[tuple[str, int], int], ours: dict[tuple[str, int], int],
                       audit_errors: dict[str, str], radon_errors: dict[str, str]) -> Comparison:
    result = Comparison(corpus.name, len(corpus.files))
    for key in anchor.keys() | ours.keys():
        result.anchor += key in anchor
        result.ours += key in ours
        if key in anchor and key in ours and anchor[key] == ours[key]:
            result.agreed += 1
            continue
        where = f"{key[0]}:{key[1]}"
        if key in anchor and key in ours:
            result.add("unexplained [different complexity]", f"{where} radon {anchor[key]}, audit {ours[key]}")
            continue
        cause = complexity_cause(key[0], key[1], audit_errors, radon_errors, ours.get(key))
        side = "audit only" if key in ours else "radon only"
        result.add(f"{cause} [{side}]", where)
    return result


def shorten(where: str) -> str:
    for prefix, label in ((str(SITE) + "/", ""), (str(STDLIB) + "/", "stdlib/")):
        if where.startswith(prefix):
            return label + where[len(prefix):]
    return where


def causes_section(title: str, comparisons: list[Comparison], listed: bool) -> list[str]:
    lines = [f"### {title}", ""]
    any_difference = False
    for comparison in comparisons:
        for cause, items in sorted(comparison.causes.items()):
            any_difference = True
            lines.append(f"- **{comparison.corpus}**, {cause}: {len(items)}")
            if listed:
                lines.extend(f"  - `{shorten(item)}`" for item in sorted(items))
    if not any_difference:
        lines.append("None.")
    return [*lines, ""]


def render(imports: list[tuple[Comparison, Comparison]], complexity: list[Comparison], seconds: dict[str, float],
           versions: dict[str, str]) -> str:
    out = [
        "# Agreement with ruff (F401) and radon (cc)",
        "",
        "Generated by `python benchmarks/agreement.py`. Every tool reads the same explicit list of `.py` files.",
        f"Tools: {', '.join(f'{name} {version}' for name, version in versions.items())}.",
        f"Wall time: {', '.join(f'{name} {value:.0f} s' for name, value in seconds.items())}.",
        "",
        "## unused-import versus `ruff check --select F401`",
        "",
        "Agreed means the same file, line and imported name. `unused-import` resolves names as ruff does, also "
        "where pyflakes differs. The one such case the issue named, `import sympy` under `if TYPE_CHECKING:` in "
        "`torch/fx/graph.py`, is used for ruff because the module has `from __future__ import annotations`: a "
        "postponed or quoted annotation is a forward reference, and for a forward reference ruff prefers the "
        "module's binding over a local one (PEP 563), so `dict[sympy.Expr, ...]` in a method that imports `sympy` "
        "locally reads the module-level import; pyflakes resolves it to the local import and reports the module "
        "one. audit does what ruff does (fixture `tests/fixtures/rules/unused-import/forward_references.py`).",
        "",
        "Outside `__init__.py` (the target: zero unexplained differences):",
        "",
        "| corpus | files | ruff F401 | audit | agreed | differences | unexplained |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    out += [outside.row() for outside, _ in imports]
    out += ["", "Inside `__init__.py` (audit re-exports what an `__init__.py` without `__all__` imports):", "",
            "| corpus | files | ruff F401 | audit | agreed | differences | unexplained |", "|---|---:|---:|---:|---:|---:|---:|"]
    out += [inside.row() for _, inside in imports]
    out += ["", *causes_section("Differences outside `__init__.py`, by cause", [o for o, _ in imports], True)]
    out += causes_section("Differences inside `__init__.py`, by cause (counts)", [i for _, i in imports], False)
    out += [
        "## high-complexity versus `radon cc`",
        "",
        "Every function and method (closures included) with `max-complexity = 0`; equal means same file, line "
        "and complexity.",
        "",
        "| corpus | files | radon blocks | audit functions | equal | differences | unexplained |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    out += [item.row() for item in complexity]
    out += ["", *causes_section("Differences, by cause", complexity, True)]
    return "\n".join(out).rstrip() + "\n"


def tool_version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().split()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "agreement.md")
    parser.add_argument("--corpus", action="append", help="only the named corpus (repeatable; default all)")
    args = parser.parse_args()
    seconds: Counter[str] = Counter()
    import_results: list[tuple[Comparison, Comparison]] = []
    complexity_results: list[Comparison] = []
    for corpus in corpora():
        if args.corpus and corpus.name not in args.corpus:
            continue
        start = time.perf_counter()
        ruff = run_ruff(corpus.files, args.jobs)
        seconds["ruff"] += time.perf_counter() - start
        start = time.perf_counter()
        radon, radon_errors = run_radon(corpus.files, args.jobs)
        seconds["radon"] += time.perf_counter() - start
        start = time.perf_counter()
        imports, complexity, audit_errors = run_audit(corpus.files, args.jobs)
        seconds["audit"] += time.perf_counter() - start
        import_results.append(compare_imports(corpus, ruff, imports, audit_errors))
        complexity_results.append(compare_complexity(corpus, radon, complexity, audit_errors, radon_errors))
        outside = import_results[-1][0]
        print(f"{corpus.name}: {len(corpus.files)} files; F401 outside __init__ {outside.agreed} agreed, "
              f"{outside.unexplained} unexplained; radon {complexity_results[-1].agreed} equal, "
              f"{complexity_results[-1].unexplained} unexplained", file=sys.stderr)
    versions = {"ruff": tool_version([shutil.which("ruff") or "ruff", "--version"]),
                "radon": tool_version([shutil.which("radon") or "radon", "--version"]),
                "Python": sys.version.split()[0]}
    args.output.write_text(render(import_results, complexity_results, dict(seconds), versions))
    unexplained = sum(o.unexplained for o, _ in import_results) + sum(c.unexplained for c in complexity_results)
    print(f"wrote {args.output}; {unexplained} unexplained differences", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
