"""Fix producers: for a rule's findings in one module, the ``Fix`` of each finding that has one.

A producer is a module with ``fixes(module, findings) -> dict[Finding, Fix]``; it is only
imported when a command asks for fixes, so ``audit scan`` never loads libcst.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import replace

from audit.model import Finding, Fix, ScanWarning
from audit.source import SourceModule

# Rule name -> the module that produces its fixes.
PRODUCERS: dict[str, str] = {
    "unused-import": "audit.fixes.unused_import",
}


def attach_fixes(module: SourceModule, findings: Sequence[Finding]) -> tuple[list[Finding], list[ScanWarning]]:
    """``findings`` with their fixes set, and a warning for each producer that failed (its findings keep no fix)."""
    fixes: dict[Finding, Fix] = {}
    warnings: list[ScanWarning] = []
    for rule, producer in PRODUCERS.items():
        mine = [finding for finding in findings if finding.rule == rule]
        if not mine:
            continue
        try:
            fixes.update(importlib.import_module(producer).fixes(module, mine))
        except Exception as error:  # audit: ignore[broad-except] -- a producer's bug costs only its fixes
            warnings.append(ScanWarning(module.path, f"cannot compute the fixes of `{rule}`, please report it: "
                                                     f"{type(error).__name__}: {error}"))
    return [replace(finding, fix=fixes[finding]) if finding in fixes else finding for finding in findings], warnings
