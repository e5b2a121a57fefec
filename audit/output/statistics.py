"""``--statistics``: how many findings each rule has, most first (ruff's shape: count, rule, summary)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO

from audit.model import ScanResult
from audit.registry import get_rule


def rows(result: ScanResult) -> list[tuple[int, str, str]]:
    """``(count, rule, summary)`` per rule with findings, by count (highest first), then by name."""
    counts = Counter(finding.rule for finding in result.findings)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(count, rule, getattr(get_rule(rule), "summary", "")) for rule, count in ordered]


def emit_text(result: ScanResult, stream: TextIO) -> None:
    table = rows(result)
    count_width = max((len(str(count)) for count, _, _ in table), default=1)
    rule_width = max((len(rule) for _, rule, _ in table), default=1)
    stream.write("".join(f"{count:>{count_width}}  {rule:<{rule_width}}  {summary}\n"
                         for count, rule, summary in table))


def emit_json(result: ScanResult, stream: TextIO) -> None:
    document = [{"count": count, "rule": rule, "summary": summary} for count, rule, summary in rows(result)]
    stream.write(json.dumps(document, indent=2) + "\n")
