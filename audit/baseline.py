"""The baseline: adopt audit on a code base with findings, and fail only on new ones.

``audit scan --write-baseline FILE`` records the current findings; ``audit scan
--baseline FILE`` shows, and fails on, only the findings the file does not hold.
Findings are matched by fingerprint (``audit.fingerprint``: rule, file, enclosing
symbol and normalised code, never the line number) as a multiset: a file that
records one finding matches one of two identical ones, and the other is new.
Entries that match nothing any more (fixed findings) are stale: they are reported
so the file can shrink, but a check run never rewrites the file. Only entries the
scan could have matched count: a scan of some files (pre-commit), or of some rules,
says nothing about the others.

The file is JSON, sorted, with no line numbers, so rewriting it after unrelated
edits changes nothing::

    {"version": 1, "findings": [{"fingerprint": ..., "rule": ..., "path": ..., "symbol": ..., "message": ...}]}
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from audit.config import Settings
from audit.model import Finding, ScanResult
from audit.output import write_atomically

BASELINE_VERSION = 1
_ENTRY_FIELDS = ("fingerprint", "rule", "path", "symbol", "message")


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a baseline; the message says which, in one line."""


@dataclass
class BaselineMatch:
    """What ``--baseline`` did: how many findings it hid, and the entries that matched nothing."""

    path: str
    known: int
    stale: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "known": self.known, "stale": self.stale}


def entry(finding: Finding) -> dict[str, Any]:
    return {"fingerprint": finding.fingerprint, "rule": finding.rule, "path": finding.path,
            "symbol": finding.symbol, "message": finding.message}


def _order(item: dict[str, Any]) -> tuple[str, str, str, str]:
    return (item["path"], item["rule"], item.get("symbol") or "", item["fingerprint"])


def render(findings: list[Finding]) -> str:
    """The baseline file recording ``findings``."""
    entries = sorted((entry(finding) for finding in findings if finding.fingerprint), key=_order)
    return json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, findings: list[Finding]) -> None:
    try:
        write_atomically(path, render(findings))
    except OSError as error:
        raise BaselineError(f"cannot write the baseline {path}: {error.strerror or error}") from None


def read(path: Path) -> list[dict[str, Any]]:
    """The entries of the baseline at ``path``; ``BaselineError`` when it is missing or not a baseline."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} does not exist (create it with --write-baseline {path})") from None
    except OSError as error:
        raise BaselineError(f"cannot read the baseline {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"baseline {path} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"baseline {path} is not an audit baseline of version {BASELINE_VERSION}")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(_valid(item) for item in entries):
        raise BaselineError(f"baseline {path}: `findings` must be a list of entries, each with a string "
                            "`fingerprint`, `rule` and `path`")
    return entries


def _valid(item: Any) -> bool:
    return isinstance(item, dict) and all(isinstance(item.get(key), str) for key in ("fingerprint", "rule", "path"))


def scope(roots: Sequence[str], settings: Settings) -> Callable[[dict[str, Any]], bool]:
    """Whether a scan of ``roots`` (shown paths) under ``settings`` could have produced an entry's finding."""
    def in_scope(item: dict[str, Any]) -> bool:
        rule, path = item["rule"], item["path"]
        if rule not in settings.select or rule in settings.ignored_for(path):
            return False
        return any(root == "." or path == root or path.startswith(root.rstrip("/") + "/") for root in roots)

    return in_scope


def apply(result: ScanResult, entries: list[dict[str, Any]], path: Path,
          in_scope: Callable[[dict[str, Any]], bool] = lambda item: True) -> ScanResult:
    """``result`` with only the findings not in the baseline, and what the baseline matched.

    Entries out of the scan's scope (``scope``) are never stale.
    """
    remaining = Counter(item["fingerprint"] for item in entries)
    new = []
    for finding in result.findings:
        if finding.fingerprint and remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
        else:
            new.append(finding)
    stale = []
    for item in sorted(entries, key=_order):
        if remaining[item["fingerprint"]] > 0 and in_scope(item):
            remaining[item["fingerprint"]] -= 1
            stale.append({key: item.get(key) for key in _ENTRY_FIELDS})
    match = BaselineMatch(str(path), len(result.findings) - len(new), stale)
    return replace(result, findings=new, baseline=match)


def stale_line(match: BaselineMatch) -> str | None:
    """The one line a check run prints about stale entries, or None when there are none."""
    count = len(match.stale)
    if not count:
        return None
    return (f"{count} {'entry' if count == 1 else 'entries'} of the baseline {match.path} no longer "
            f"match{'es' if count == 1 else ''} a finding (fixed?): run `audit scan --write-baseline {match.path}` "
            "to drop them")
