"""Inline suppressions: ``# audit: ignore[...]`` and, for ruff/flake8 users, ``# noqa``."""

from __future__ import annotations

import re

from audit.rule import Rule

_AUDIT_IGNORE = re.compile(r"#\s*audit:\s*ignore(?:\[(?P<rules>[^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def _names(text: str) -> set[str]:
    return {part.strip() for part in re.split(r"[\s,]+", text) if part.strip()}


def is_suppressed(line_text: str, rule: Rule) -> bool:
    """Whether a comment on ``line_text`` silences ``rule`` there."""
    if "#" not in line_text:
        return False
    for match in _AUDIT_IGNORE.finditer(line_text):
        listed = match.group("rules")
        if listed is None or rule.name in _names(listed):
            return True
    for match in _NOQA.finditer(line_text):
        codes = match.group("codes")
        if codes is None or {code.upper() for code in _names(codes)} & rule.noqa_codes:
            return True
    return False
