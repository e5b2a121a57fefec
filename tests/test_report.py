"""``audit report`` and ``audit compare``: golden files, completeness, determinism, git revisions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, ROOT, run_audit, run_json

REPORT_FIXTURES = FIXTURES / "report"
EXPECTED = REPORT_FIXTURES / "expected"
SECTIONS = ["## Executive summary", "## Current state", "### Worst functions", "## Key issues",
            "## Recommendations", "## Metrics summary", "## Implementation plan", "## Testing strategy",
            "## Risks and mitigations", "## Complexity chart"]


def check_golden(name: str, text: str) -> None:
    """Compare with the golden file; AUDIT_UPDATE_GOLDEN=1 rewrites it instead."""
    path = EXPECTED / name
    if os.environ.get("AUDIT_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def report(*args: str, cwd: Path = REPORT_FIXTURES) -> str:
    done = run_audit("report", *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_report_golden() -> None:
    check_golden("assessment.md", report("before", "--date", "2025-12-06"))


def test_compare_golden() -> None:
    done = run_audit("compare", "before", "after", "--format", "markdown", cwd=REPORT_FIXTURES)
    assert done.returncode == 0, done.stderr
    check_golden("compare.md", done.stdout)


def test_report_has_every_section_in_order() -> None:
    text = report("before", "--date", "2025-12-06")
    assert text.startswith("---\ntitle: \"Assessment: before\"\ndate: \"2025-12-06\"\ntype: \"assessment\"\n")
    for field in ('category: "evaluation"', 'status: "active"', 'version: "audit ', "tags: ["):
        assert field in text.split("\n---\n", 1)[0]
    positions = [text.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert "```mermaid\nxychart-beta" in text and "bar [38, 6, 4, 3]" in text


def test_every_finding_appears_with_its_line_range() -> None:
    text = report("before", "--date", "2025-12-06")
    _, scan = run_json("before", cwd=REPORT_FIXTURES)
    assert len(scan["findings"]) == 27
    for finding in scan["findings"]:
        assert f"`{finding['path']}:{finding['line']}-{finding['end_line']}`: {finding['message']}" in text


def test_recommendations_are_prioritised_with_estimates() -> None:
    text = report("before", "--date", "2025-12-06")
    priorities = re.findall(r"### Priority (\d+): (.+) \(`([a-z-]+)`", text)
    assert [int(number) for number, _, _ in priorities] == list(range(1, 12))
    assert priorities[0][2] == "global-signal-handler"  # low risk and the most lines removed
    section = text.split("## Recommendations", 1)[1].split("## Metrics summary", 1)[0]
    assert section.count("**Estimated lines:**") == 11 and section.count("**Risk:**") == 11
    # The signal handler fix removes the two registrations and the 19-line handler.
    assert "- **Estimated lines:** 21 removed, 0 moved into helpers." in section
    assert "154 | 100 | -35%" in text  # longest function, before and estimated after


def test_clean_code_gets_a_short_report(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("def f(x):\n    return x + 1\n")
    text = report(".", "--date", "2026-01-02", cwd=tmp_path)
    assert "found nothing to fix" in text
    assert "## Key issues" not in text and "## Recommendations" not in text
    assert len(text.splitlines()) < 30


def test_report_is_deterministic_and_dates_come_from_source_date_epoch(tmp_path: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    runs = [subprocess.run([sys.executable, "-m", "audit", "report", "before"], cwd=REPORT_FIXTURES, env=env,
                           capture_output=True, text=True, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and 'date: "2023-11-14"' in runs[0]


def test_report_output_file_and_bad_date(tmp_path: Path) -> None:
    target = tmp_path / "out" / "assessment.md"
    done = run_audit("report", "before", "-o", str(target), "--date", "2025-12-06", cwd=REPORT_FIXTURES)
    assert done.returncode == 0 and done.stdout == "" and target.read_text().startswith("---")
    bad = run_audit("report", "before", "--date", "06/12/2025", cwd=REPORT_FIXTURES)
    assert bad.returncode == 2 and "--date" in bad.stderr


def test_compare_formats() -> None:
    as_json = run_audit("compare", "before", "after", "--format", "json", cwd=REPORT_FIXTURES)
    document = json.loads(as_json.stdout)
    assert document["total"]["before"]["findings"] == 27 and document["total"]["after"]["findings"] == 0
    assert document["total"]["before"]["longest"] == 154
    assert {item["path"] for item in document["files"]} == {"before/runners/train.py", "after/runners/train.py",
                                                            "after/ocr/utils/logger_factory.py"}
    text = run_audit("compare", "before", "after", cwd=REPORT_FIXTURES).stdout
    assert "longest function" in text and "-100%" in text and "|" not in text


def test_compare_usage_errors() -> None:
    assert run_audit("compare", "before", cwd=REPORT_FIXTURES).returncode == 2
    missing = run_audit("compare", "before", "nope", cwd=REPORT_FIXTURES)
    assert missing.returncode == 2 and "nope" in missing.stderr


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout


def test_compare_git_revisions(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    source = (REPORT_FIXTURES / "before" / "runners" / "train.py").read_text()
    (tmp_path / "train.py").write_text(source)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "legacy")
    (tmp_path / "train.py").write_text((REPORT_FIXTURES / "after" / "runners" / "train.py").read_text())
    _git(tmp_path, "commit", "-qam", "refactor")
    (tmp_path / "train.py").write_text("# uncommitted edit, must not be read\n")
    done = run_audit("compare", "--git", "HEAD~1", "HEAD", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert [item["path"] for item in document["files"]] == ["train.py"]
    assert document["total"]["before"]["findings"] == 27 and document["total"]["after"]["lines"] == 31
    assert (tmp_path / "train.py").read_text() == "# uncommitted edit, must not be read\n"
    assert _git(tmp_path, "status", "--porcelain") == " M train.py\n"
    bad = run_audit("compare", "--git", "HEAD~1", "no-such-rev", cwd=tmp_path)
    assert bad.returncode == 2 and "no-such-rev" in bad.stderr


@pytest.mark.parametrize("name", ["legacy_ocr_assessment.md", "ocr_compare.md"])
def test_committed_reports_are_fresh(name: str) -> None:
    sys.path.insert(0, str(ROOT / "reports"))
    try:
        from build import generate
    finally:
        sys.path.pop(0)
    assert (ROOT / "reports" / name).read_text() == generate(name), "stale: run python reports/build.py"
