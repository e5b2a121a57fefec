"""``audit scan --measure-imports``: time the import of each module ``heavy-module-import`` flagged.

The only part of the audit that executes scanned code: each flagged module is imported in a
fresh ``python -X importtime`` subprocess (with a timeout), from the folder that holds its
top-level package, and the measured time is added to the findings' messages and values.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from audit.model import Finding, ScanResult

RULE = "heavy-module-import"
DEFAULT_TIMEOUT = 120.0
_LINE = re.compile(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|( +)(\S+)")
_QUOTED = re.compile(r"`([A-Za-z_][\w.]*)`")


@dataclass(frozen=True)
class ImportTime:
    """What importing one module cost: seconds in all, and seconds per top-level library it pulled in."""

    module: str
    seconds: float | None
    libraries: dict[str, float]
    problem: str | None = None


def module_name(path: Path) -> tuple[str, Path]:
    """The dotted module name of a source file and the folder to import it from (above its packages)."""
    path = path.resolve()
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def parse_importtime(stderr: str, module: str) -> tuple[float | None, dict[str, float]]:
    """Seconds the ``import module`` statement took, and each library's cumulative seconds within it."""
    total = 0
    found = False
    libraries: dict[str, float] = {}
    for match in _LINE.finditer(stderr):
        cumulative, indent, name = int(match.group(2)), len(match.group(3)), match.group(4)
        if indent == 1 and (module == name or module.startswith(name + ".")):  # top level: one space
            total += cumulative
            found = True
        top = name.split(".", 1)[0]
        if name == top and top not in libraries:
            libraries[top] = cumulative / 1e6
    return (total / 1e6 if found else None), libraries


def measure(module: str, folder: Path, timeout: float = DEFAULT_TIMEOUT) -> ImportTime:
    """Import ``module`` in a fresh interpreter under ``-X importtime``."""
    command = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ImportTime(module, None, {}, f"the import did not finish within {timeout:g} s")
    if done.returncode != 0:
        last = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "no message")
        return ImportTime(module, None, {}, f"the import failed: {last.strip()}")
    seconds, libraries = parse_importtime(done.stderr, module)
    return ImportTime(module, seconds, libraries)


def _describe(timing: ImportTime, finding: Finding) -> str:
    if timing.seconds is None:
        return f"; `--measure-imports`: {timing.problem or 'no time was reported'}"
    named = [name.split(".", 1)[0] for name in _QUOTED.findall(finding.message)]
    parts = [f"`{name}` {timing.libraries[name]:.2f} s" for name in dict.fromkeys(named) if name in timing.libraries]
    share = f" ({', '.join(parts)} of it)" if parts else ""
    return f"; measured: `import {timing.module}` takes {timing.seconds:.2f} s{share}"


def annotate(result: ScanResult, timeout: float = DEFAULT_TIMEOUT) -> ScanResult:
    """The scan result with each ``heavy-module-import`` finding's module import timed."""
    timings: dict[str, ImportTime] = {}
    findings = []
    for finding in result.findings:
        if finding.rule == RULE:
            if finding.path not in timings:
                module, folder = module_name(Path(finding.path))
                timings[finding.path] = measure(module, folder, timeout)
            timing = timings[finding.path]
            finding = replace(finding, message=finding.message + _describe(timing, finding), value=timing.seconds)
        findings.append(finding)
    return replace(result, findings=findings)
