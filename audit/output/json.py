"""The stable JSON schema other tools read (``version`` 1).

Additions keep ``version`` 1: readers ignore keys they do not know. ``warnings``
(malformed suppressions, skipped files), ``end_column``, ``unused_suppressions``
(present only with ``--report-unused-suppressions``) came later, then each
finding's ``fingerprint`` (16 hex digits, its identity across unrelated edits: see
``audit.fingerprint``) and, only in a scan with ``--baseline``, a ``baseline`` object.
"""

from __future__ import annotations

import json
from typing import TextIO

from audit.model import ScanResult

SCHEMA_VERSION = 1


def as_dict(result: ScanResult) -> dict[str, object]:
    document: dict[str, object] = {
        "version": SCHEMA_VERSION,
        "files_scanned": result.files_scanned,
        "findings": [finding.to_dict() for finding in result.findings],
        "errors": [error.to_dict() for error in result.errors],
        "warnings": [warning.to_dict() for warning in result.warnings],
    }
    if result.unused_suppressions is not None:  # only with --report-unused-suppressions
        document["unused_suppressions"] = [entry.to_dict() for entry in result.unused_suppressions]
    if result.baseline is not None:  # {"path", "known": findings it hid, "stale": entries that matched none}
        document["baseline"] = result.baseline.to_dict()
    return document


def render(result: ScanResult) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"


def emit(result: ScanResult, stream: TextIO) -> None:
    stream.write(render(result))
