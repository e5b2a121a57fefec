"""Every rule states its fix safety, references and status; ``audit rules NAME`` shows them under ruff's headings."""

from __future__ import annotations

import re

import pytest

from audit.output.rules import HEADINGS, rule_markdown
from audit.registry import all_rules
from audit.rule import FIX_APPLICABILITIES, STATUSES, FixSafety
from tests.helpers import run_audit

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_every_rule_declares_its_metadata(rule) -> None:
    declared = {name for cls in type(rule).__mro__ if cls.__module__.startswith("audit.rules.")
                for name in vars(cls)}
    assert {"fix_safety", "references", "status"} <= declared, "declare them in the rule's own class"
    assert isinstance(rule.fix_safety, FixSafety) and rule.fix_safety.applicability in FIX_APPLICABILITIES
    assert rule.fix_safety.explanation.endswith(".") and len(rule.fix_safety.explanation) > 20
    assert rule.status in STATUSES
    assert isinstance(rule.references, tuple)
    assert all(isinstance(item, str) and item.strip() == item and item for item in rule.references)
    assert all(re.fullmatch(r"https://[^\s]+", item) for item in rule.references if "://" in item)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_rule_page_has_ruffs_headings_in_order(rule) -> None:
    page = rule_markdown(rule)
    headings = re.findall(r"^## (.+)$", page, flags=re.MULTILINE)
    assert headings == list(HEADINGS)
    assert rule.fix_safety.explanation in page and rule.rationale in page and rule.advice in page
    assert all(reference in page for reference in rule.references)
    assert ("This rule is in preview" in page) == (rule.status == "preview")


def test_rules_name_prints_the_page() -> None:
    done = run_audit("rules", "unused-import")
    assert done.returncode == 0
    assert "## Fix safety\n\nApplicability: safe." in done.stdout
    assert "## References\n\n- <https://docs.astral.sh/ruff/rules/unused-import/>" in done.stdout
