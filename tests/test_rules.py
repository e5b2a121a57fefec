"""Each rule against its fixtures (exact set: no miss, no extra) and its own examples."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from audit.config import Settings, settings_from_table
from audit.engine import analyse_source
from audit.registry import all_rules
from audit.rule import ProjectRule
from tests.helpers import FIXTURES, expected_findings, fixture_options

RULE_FIXTURES = FIXTURES / "rules"
CASES = sorted(RULE_FIXTURES.rglob("*.py"))
_SAYS = re.compile(r"#\s*says:\s*(.+?)\s*$")
# The words each message variant must contain; every variant has a fixture case marked ``# says: ...``.
MESSAGE_VARIANTS = {
    "broad-except": ("drops every error", "returns a fallback value"),
    "silent-except": ("the handler only passes", "the handler only continues", "the handler only prints",
                      "the handler only logs"),
    "global-signal-handler": ("this module uses Lightning", "install it inside the entry function"),
    "high-complexity": ("has cyclomatic complexity",),
    "long-function": ("lines long",),
    "global-statement": ("shares mutable module state",),
    "unused-import": ("is imported but never used",),
    "heavy-module-import": ("import it where it is used",),
    "manual-device-scaling": ("already do this",),
    "struct-mode-disabled": ("catches config key typos",),
    "isinstance-ladder": ("in one if/elif chain",),
    "import-time-side-effect": ("when the module is imported",),
    "sync-in-training-loop": ("waits for the device on every step",),
    "dataloader-worker-mismatch": ("but this loader is given `num_workers=",),
    "duplicate-checkpoint-save": ("is saved again",),
    "hard-coded-path": ("is an absolute path on one machine",),
}


def settings_for(rule: str, options: dict | None = None) -> Settings:
    table = {"select": [rule], **(options or {})}
    return settings_from_table(table, root=RULE_FIXTURES, source=None)


def found(path: Path, rule: str, source: bytes | None = None, options: dict | None = None) -> set[tuple[int, str]]:
    data = path.read_bytes() if source is None else source
    result = analyse_source(str(path), data, settings_for(rule, options))
    assert result.error is None, result.error
    return {(finding.line, finding.rule) for finding in result.findings}


FILE_RULES = [rule for rule in all_rules() if not isinstance(rule, ProjectRule)]  # project rules: test_project_rules


def test_every_rule_has_fixtures() -> None:
    assert {rule.name for rule in FILE_RULES} == {path.name for path in RULE_FIXTURES.iterdir()}


@pytest.mark.parametrize("path", CASES, ids=lambda path: str(path.relative_to(RULE_FIXTURES)))
def test_fixture_findings_exact(path: Path) -> None:
    rule = path.relative_to(RULE_FIXTURES).parts[0]
    expected = {item for item in expected_findings(path) if item[1] == rule}
    assert found(path, rule, options=fixture_options(path)) == expected


def said(path: Path) -> dict[int, str]:
    """``line -> words`` from ``# says: words`` comments: the message expected on that line."""
    lines = path.read_text().splitlines()
    return {number: match.group(1) for number, line in enumerate(lines, start=1) if (match := _SAYS.search(line))}


@pytest.mark.parametrize("path", CASES, ids=lambda path: str(path.relative_to(RULE_FIXTURES)))
def test_fixture_messages_say_what_was_found(path: Path) -> None:
    rule = path.relative_to(RULE_FIXTURES).parts[0]
    result = analyse_source(str(path), path.read_bytes(), settings_for(rule, fixture_options(path)))
    messages = {finding.line: finding.message for finding in result.findings}
    for line, words in said(path).items():
        assert words in messages.get(line, ""), f"line {line}: {messages.get(line)!r} does not say {words!r}"


@pytest.mark.parametrize("rule", sorted(MESSAGE_VARIANTS))
def test_every_message_variant_has_a_fixture_case(rule: str) -> None:
    marked = [words for path in (RULE_FIXTURES / rule).rglob("*.py") for words in said(path).values()]
    for variant in MESSAGE_VARIANTS[rule]:
        assert any(variant in words for words in marked), f"no `# says: {variant}` case for {rule}"


def test_message_variants_cover_every_rule() -> None:
    assert set(MESSAGE_VARIANTS) == {rule.name for rule in FILE_RULES}  # project rules: test_project_rules


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda rule: rule.name)
def test_rule_documents_itself(rule) -> None:
    for text in (rule.summary, rule.rationale, rule.advice, rule.bad_example, rule.good_example):
        assert text.strip()
    path = Path("example.py")
    bad = found(path, rule.name, rule.bad_example.encode(), rule.example_options)
    good = found(path, rule.name, rule.good_example.encode(), rule.example_options)
    assert bad and not good, "the bad example must be flagged and the good one must not"


def radon_cli_complexities(files: list[str]) -> set[tuple[Path, int, int]]:
    """(file, line, complexity) of every function and method ``radon cc -j`` reports, closures included."""
    radon = subprocess.run(["radon", "cc", "-j", *files], capture_output=True, text=True, check=True)
    expected = set()
    for file, blocks in json.loads(radon.stdout).items():
        lines = Path(file).read_text().splitlines()
        pending = list(blocks)
        while pending:
            block = pending.pop()
            pending.extend(block.get("closures", []) + block.get("methods", []))
            suppressed = "noqa" in lines[block["lineno"] - 1]
            if block["type"] in ("function", "method") and not suppressed:
                expected.add((Path(file).resolve(), block["lineno"], block["complexity"]))
    return expected


def test_high_complexity_equals_radon_cc() -> None:
    """Every function's complexity equals radon's own command-line figure."""
    files = [str(path) for path in (FIXTURES.parent.parent / "audit").rglob("*.py")]
    files.append(str(RULE_FIXTURES / "high-complexity" / "cases.py"))
    expected = radon_cli_complexities(files)
    ours = set()
    for file in files:
        result = analyse_source(file, Path(file).read_bytes(), settings_for("high-complexity", {"max-complexity": 0}))
        ours |= {(Path(file).resolve(), finding.line, finding.value) for finding in result.findings}
    # Radon leaves out methods of classes defined inside functions; we measure those too.
    radon_keys = {(file, line) for file, line, _ in expected}
    assert {item for item in ours if item[:2] in radon_keys} == expected
    assert len(expected) > 100


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is a dev dependency")
def test_unused_import_agrees_with_ruff_f401() -> None:
    """Outside __init__.py (our re-export policy) and our own suppressions, same lines as ruff F401."""
    folder = RULE_FIXTURES / "unused-import"
    ruff = subprocess.run(["ruff", "check", "--isolated", "--select", "F401", "--output-format", "json", "."],
                          cwd=folder, capture_output=True, text=True, check=False)
    theirs = set()
    for item in json.loads(ruff.stdout):
        path = Path(item["filename"])
        line = path.read_text().splitlines()[item["location"]["row"] - 1]
        if path.name != "__init__.py" and "audit: ignore" not in line:
            theirs.add((path.resolve(), item["location"]["row"]))
    ours = set()
    for path in folder.rglob("*.py"):
        if path.name != "__init__.py":
            ours |= {(path.resolve(), line) for line, _ in found(path, "unused-import")}
    assert theirs and ours == theirs


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is a dev dependency")
def test_unused_import_agrees_with_ruff_on_lightning(tmp_path: Path) -> None:
    """On the installed lightning sources (2.6.x), outside __init__.py, the same lines as ruff F401."""
    lightning = pytest.importorskip("lightning")
    corpus = tmp_path / "lightning"  # a copy: outside site-packages, which both tools skip
    shutil.copytree(Path(lightning.__file__).parent, corpus, ignore=shutil.ignore_patterns("__pycache__"))
    ruff = subprocess.run(["ruff", "check", "--isolated", "--select", "F401", "--output-format", "json", "."],
                          cwd=corpus, capture_output=True, text=True, check=False)
    theirs = {(Path(item["filename"]).resolve(), item["location"]["row"]) for item in json.loads(ruff.stdout)
              if Path(item["filename"]).name != "__init__.py"}
    ours = set()
    files = [path for path in corpus.rglob("*.py") if path.name != "__init__.py"]
    for path in files:
        ours |= {(path.resolve(), line) for line, _ in found(path, "unused-import")}
    assert len(files) > 200 and ours == theirs
