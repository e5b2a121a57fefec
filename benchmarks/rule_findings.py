"""List every finding of the training-code rules (issue 10) on the installed lightning and torch sources
and on ``reference_trainers/``: the input to ``reports/rule-precision.md``.

Usage: ``python benchmarks/rule_findings.py [--format markdown|json] [--also PACKAGE ...]`` (from the
repository root); ``--also`` lists, in a section of its own, the findings on more installed packages.
Paths are shown relative to site-packages (``torch/...``, ``lightning/...``) or to the repository.
The verdicts in the report are a reviewer's judgement; this script only says what the rules find.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINING_RULES = ("heavy-module-import", "manual-device-scaling", "struct-mode-disabled", "isinstance-ladder",
                  "import-time-side-effect", "sync-in-training-loop", "dataloader-worker-mismatch",
                  "duplicate-checkpoint-save", "hard-coded-path")


def package_folder(name: str) -> Path:
    """An installed package's folder, found without importing it."""
    return Path(importlib.util.find_spec(name).origin).parent


def corpora() -> dict[str, Path]:
    """The installed ``lightning`` and ``torch`` package folders, and the reference trainers."""
    return {"lightning": package_folder("lightning"), "torch": package_folder("torch"),
            "reference_trainers": ROOT / "reference_trainers"}


def distribution_version(package: str) -> str:
    """The version of the distribution that installs ``package`` (``lightning_fabric``: ``lightning-fabric``)."""
    names = importlib.metadata.packages_distributions().get(package, [package])
    return importlib.metadata.version(names[0])


def versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("lightning", "torch")}


def scan(paths: list[Path]) -> dict:
    command = [sys.executable, "-m", "audit", "scan", "--format", "json", "--exit-zero",
               "--select", ",".join(TRAINING_RULES), *map(str, paths)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 2):  # 2: some file could not be parsed; the JSON lists it
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


def shown(path: str, folders: dict[str, Path]) -> str:
    """``torch/x.py`` for site-packages files, the repository path for ours."""
    absolute = (ROOT / path).resolve()
    for name, folder in folders.items():
        if absolute.is_relative_to(folder):
            base = folder.parent if name != "reference_trainers" else ROOT
            return absolute.relative_to(base).as_posix()
    return path


def findings(folders: dict[str, Path]) -> tuple[dict, list[dict]]:
    result = scan(list(folders.values()))
    items = [{**finding, "path": shown(finding["path"], folders)} for finding in result["findings"]]
    return result, sorted(items, key=lambda item: (item["rule"], item["path"], item["line"]))


def render_markdown(result: dict, items: list[dict], folders: dict[str, Path], corpus: str) -> str:
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        by_rule[item["rule"]].append(item)
    errors = ", ".join(f"`{shown(error['path'], folders)}`" for error in result["errors"]) or "none"
    lines = [f"{result['files_scanned']} files scanned ({corpus}); could not be parsed: {errors}; "
             f"{len(items)} findings.", ""]
    for rule in TRAINING_RULES:
        lines.append(f"#### {rule}: {len(by_rule[rule])}")
        lines += [f"- `{item['path']}:{item['line']}` {item['message']}" for item in by_rule[rule]]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--also", nargs="+", default=[], metavar="PACKAGE", help="more installed packages")
    args = parser.parse_args()
    sections = [(corpora(), ", ".join(f"{name} {version}" for name, version in versions().items())
                 + ", reference_trainers")]
    if args.also:
        extra = {name: package_folder(name) for name in args.also}
        sections.append((extra, ", ".join(f"{name} {distribution_version(name)}" for name in args.also)))
    for folders, corpus in sections:
        result, items = findings(folders)
        if args.format == "json":
            print(json.dumps(items, indent=1))
        else:
            print(render_markdown(result, items, folders, corpus))


if __name__ == "__main__":
    main()
