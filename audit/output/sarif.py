"""``--format sarif``: a SARIF 2.1.0 log, for code-scanning tools.

One run. ``tool.driver.rules`` describes every registered rule (id, name, short
description from its summary, full description from its rationale, help from its
advice, ``helpUri`` from its first URL reference); each finding is a result with
its region (columns count Unicode code points, as ``columnKind`` says) and its
fingerprint as ``partialFingerprints``. Files that could not be analysed, and
warnings, are the invocation's ``toolExecutionNotifications``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import PurePath
from typing import Any, TextIO
from urllib.parse import quote

from audit import __version__
from audit.model import FileError, Finding, ScanResult, ScanWarning
from audit.registry import all_rules
from audit.rule import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "auditFingerprint/v1"
_SHOWN_BYTE = re.compile(r"\\udc([89a-f][0-9a-f])")


def artifact_uri(path: str) -> str:
    """A URI reference for a shown path: relative ones stay relative to ``%SRCROOT%`` (the folder of the scan).

    A file-name byte that is not UTF-8, shown as ``\\udcXX``, is percent-encoded as that byte.
    """
    raw = _SHOWN_BYTE.sub(lambda match: chr(0xDC00 + int(match.group(1), 16)), path)
    posix = raw.replace(os.sep, "/")
    if PurePath(raw).is_absolute():
        return "file://" + quote(os.fsencode(posix))
    return quote(os.fsencode(posix))


def _location(path: str, region: dict[str, int] | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(path)}}
    if not PurePath(path).is_absolute():
        physical["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _reference_uri(rule: Rule) -> str | None:
    return next((reference for reference in rule.references if reference.startswith(("https://", "http://"))), None)


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.name,
        "name": type(rule).__name__,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": rule.advice},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"status": rule.status, "fixSafety": rule.fix_safety.applicability,
                       "tags": [rule.status]},
    }
    uri = _reference_uri(rule)
    if uri is not None:
        descriptor["helpUri"] = uri
    return descriptor


def _region(finding: Finding) -> dict[str, int]:
    region = {"startLine": finding.line, "startColumn": finding.column, "endLine": max(finding.end_line, finding.line)}
    if finding.end_column is not None:
        region["endColumn"] = finding.end_column
    return region


def result_object(finding: Finding, rule_index: dict[str, int], baselined: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": "warning",
        "message": {"text": finding.message},
        "locations": [_location(finding.path, _region(finding))],
    }
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if baselined:
        result["baselineState"] = "new"  # a scan with --baseline shows only the findings not in it
    return result


def _error_notification(error: FileError) -> dict[str, Any]:
    notification: dict[str, Any] = {"level": "error", "message": {"text": error.message},
                                    "locations": [_location(error.path)]}
    if error.rule is not None:
        notification["associatedRule"] = {"id": error.rule}
    return notification


def _warning_notification(warning: ScanWarning) -> dict[str, Any]:
    region = {"startLine": warning.line} if warning.line else None
    return {"level": "warning", "message": {"text": warning.message}, "locations": [_location(warning.path, region)]}


def as_dict(result: ScanResult) -> dict[str, Any]:
    rules = all_rules()
    rule_index = {rule.name: index for index, rule in enumerate(rules)}
    notifications = [*map(_error_notification, result.errors), *map(_warning_notification, result.warnings)]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "audit", "version": __version__,
                                "rules": [rule_descriptor(rule) for rule in rules]}},
            "invocations": [{"executionSuccessful": not result.errors,
                             "toolExecutionNotifications": notifications}],
            "columnKind": "unicodeCodePoints",
            "results": [result_object(finding, rule_index, result.baseline is not None)
                        for finding in result.findings],
        }],
    }


def emit(result: ScanResult, stream: TextIO) -> None:
    stream.write(json.dumps(as_dict(result), indent=2) + "\n")
