"""List every finding of the project rules on real trees, with the code of both places, for a precision review.

Usage: ``python benchmarks/project_rule_findings.py [--sample N] [--seed S] > findings.md``

Scans the installed lightning and torch packages and the reference trainers with
only the project rules selected (``duplicate-code``, ``backup-file``,
``unused-config-key``, ``undefined-config-key``). Every finding is listed; for
torch, whose findings run to hundreds, ``--sample`` picks a seeded random sample
to show with code excerpts (the rest are listed by place only). The verdicts are
a reviewer's, written into ``reports/rule-precision.md``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = "duplicate-code,backup-file,unused-config-key,undefined-config-key"
_PLACE = re.compile(r"repeat at (\S+?):(\d+)")


def package_folder(name: str) -> Path:
    spec = subprocess.run([sys.executable, "-c", f"import {name}, os; print(os.path.dirname({name}.__file__))"],
                          capture_output=True, text=True, check=True)
    return Path(spec.stdout.strip())


def findings(tree: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "audit", "scan", "--select", RULES, "--format", "json", str(tree)],
                          cwd=tree.parent, capture_output=True, text=True, check=False)
    return json.loads(done.stdout)["findings"]


def excerpt(base: Path, path: str, start: int, end: int) -> str:
    lines = (base / path).read_text(encoding="utf-8", errors="replace").split("\n")
    return "\n".join(lines[start - 1:end])


def describe(base: Path, finding: dict, with_code: bool) -> list[str]:
    head = f"- `{finding['path']}:{finding['line']}` {finding['rule']}: {finding['message']}"
    if not with_code:
        return [head]
    out = [head, "", "```python", excerpt(base, finding["path"], finding["line"], finding["end_line"]), "```"]
    match = _PLACE.search(finding["message"])
    if match:
        other, line = match.group(1), int(match.group(2))
        length = finding["end_line"] - finding["line"]
        out += ["other place:", "```python", excerpt(base, other, line, line + length), "```"]
    return out + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=60, help="torch findings shown with code (default 60)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    trees = [("lightning", package_folder("lightning"), None), ("torch", package_folder("torch"), args.sample),
             ("reference_trainers", ROOT / "reference_trainers", None)]
    for label, tree, sample in trees:
        found = findings(tree)
        shown = set(range(len(found))) if sample is None else set(
            random.Random(args.seed).sample(range(len(found)), min(sample, len(found))))
        print(f"## {label}: {len(found)} findings" + (f", {len(shown)} sampled" if sample else ""), "\n")
        for index, finding in enumerate(found):
            print("\n".join(describe(tree.parent, finding, index in shown)))
        print()


if __name__ == "__main__":
    main()
