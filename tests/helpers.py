"""Shared test helpers: running the real CLI, reading fixture expectations."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*([a-z0-9,\s-]+)")


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder/name``, making the folders between."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_audit(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m audit`` in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "audit", *args], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def run_json(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
    done = run_audit("scan", "--format", "json", *args, cwd=cwd)
    return done.returncode, json.loads(done.stdout)


def expected_findings(path: Path) -> set[tuple[int, str]]:
    """``(line, rule)`` pairs from ``# expect: rule[, rule]`` comments."""
    expected = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            rules = [name.strip() for name in match.group(1).split(",")]
            expected |= {(number, rule.split()[0]) for rule in rules if rule}
    return expected


def fixture_options(path: Path) -> dict:
    """Rule options from a first line ``# options: {...}``."""
    first = path.read_text().split("\n", 1)[0]
    return json.loads(first.split(":", 1)[1]) if first.startswith("# options:") else {}
