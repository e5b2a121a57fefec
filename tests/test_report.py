"""``audit report`` and ``audit compare``: golden files, completeness, determinism, git revisions."""

from __future__ import annotations

import importlib.util
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


def span(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"


def test_every_finding_appears_with_its_line_range() -> None:
    text = report("before", "--date", "2025-12-06")
    _, scan = run_json("before", cwd=REPORT_FIXTURES)
    assert len(scan["findings"]) == 27
    for finding in scan["findings"]:
        assert f"`{finding['path']}:{span(finding['line'], finding['end_line'])}`: {finding['message']}" in text
    assert "train.py:48`" in text and "48-48" not in text


def test_recommendations_are_prioritised_with_estimates() -> None:
    text = report("before", "--date", "2025-12-06")
    priorities = re.findall(r"### Priority (\d+): (.+) \(`([a-z-]+)`", text)
    assert [int(number) for number, _, _ in priorities] == list(range(1, 14))
    # Handlers that drop a failed `open` (the submission file) or `test(ckpt_path=...)` lead.
    assert [rule for _, title, rule in priorities if "save, load or open" in title] == [
        rule for _, _, rule in priorities[:2]] == ["broad-except", "silent-except"]
    section = text.split("## Recommendations", 1)[1].split("## Metrics summary", 1)[0]
    assert section.count("**Estimated lines:**") == 13 and section.count("**Risk:**") == 13
    # The signal handler fix deletes the two registrations and the 19-line handler.
    assert "- **Estimated lines:** 21 deleted" in section
    assert "| 154 | 100 | -35% |" in text  # longest function, before and estimated after (54 lines moved)


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
    assert {item["path"] for item in document["files"]} == {"runners/train.py", "ocr/utils/logger_factory.py"}
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


@pytest.mark.parametrize("name", ["legacy_ocr_assessment.md", "ocr_compare.md", "legacy_mel_assessment.md",
                                  "mel_compare.md"])
def test_committed_reports_are_fresh(name: str) -> None:
    # Loaded by path: the module name `build` is also the PyPI package the wheel test uses.
    spec = importlib.util.spec_from_file_location("reports_build", ROOT / "reports" / "build.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert (ROOT / "reports" / name).read_text() == builder.generate(name), "stale: run python reports/build.py"


# --- the assessment's honesty, on a fixture where deleting the signal handler fixes only part of the handlers ---

PARTIAL = REPORT_FIXTURES / "partial"
HARMS, RISKS = ("high", "medium", "low"), ("low", "medium", "high")


def partial_report() -> str:
    return report(".", "--date", "2025-12-06", cwd=PARTIAL)


def priorities(text: str) -> list[dict[str, str]]:
    """Each priority's title and bullet fields (Harm, Risk, Skip, ...)."""
    section = text.split("## Recommendations", 1)[1].split("### Basis of the estimates", 1)[0]
    found = []
    for block in section.split("### Priority ")[1:]:
        title, _, body = block.partition("\n")
        fields = dict(re.findall(r"^- \*\*(.+?):\*\* (.*)$", body, flags=re.MULTILINE))
        found.append({"title": title, **fields})
    return found


def estimate_rows(text: str) -> list[list[str]]:
    table = text.split("### Basis of the estimates", 1)[1].split("## Metrics summary", 1)[0]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| priority")]


def metric(text: str, name: str) -> list[str]:
    table = text.split("## Metrics summary", 1)[1].split("## Implementation plan", 1)[0]
    line = next(line for line in table.splitlines() if line.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def source_lines() -> list[str]:
    return (PARTIAL / "train.py").read_text().splitlines()


def line_of(text: str) -> int:
    return next(number for number, line in enumerate(source_lines(), start=1) if text in line)


def deleted_lines() -> set[int]:
    """What the listed deletions remove: the unused import, the registration and the handler it installs."""
    handler_start = line_of("def on_signal")
    handler_end = line_of("raise SystemExit(1)")
    return {line_of("import os"), line_of("signal.signal(")} | set(range(handler_start, handler_end + 1))


def test_after_figures_count_only_what_the_listed_fixes_remove() -> None:
    text = partial_report()
    _, scan = run_json(".", cwd=PARTIAL)
    deleted = deleted_lines()
    assert metric(text, "total lines")[1:3] == [str(len(source_lines())), str(len(source_lines()) - len(deleted))]
    assert metric(text, "functions")[1:3] == ["5", "4"]  # on_signal goes with its registration
    assert metric(text, "try/except blocks")[1:3] == ["4", "3"]  # the try inside on_signal, nothing else
    # Findings: the deleting fixes' own, and those inside deleted code; rewrites in place are not counted.
    gone = [item for item in scan["findings"]
            if item["rule"] in ("unused-import", "global-signal-handler") or item["line"] in deleted]
    assert metric(text, "findings")[1:3] == [str(len(scan["findings"])), str(len(scan["findings"]) - len(gone))]


def test_a_fix_that_moves_no_lines_promises_no_lower_complexity() -> None:
    text = partial_report()
    complexity = priorities(text)
    fix = next(item for item in complexity if "`high-complexity`" in item["title"])
    assert fix["Estimated lines"].startswith("none counted")
    assert metric(text, "highest complexity")[1:4] == ["11", "11", "0%"]


def test_skips_name_only_code_another_priority_deletes() -> None:
    text = partial_report()
    found = priorities(text)
    deleted = deleted_lines()
    skips = [(item, re.findall(r"`train\.py:(\d+)", item["Skip"]), int(re.search(r"priority (\d+)", item["Skip"])[1]))
             for item in found if "Skip" in item]
    assert skips, "the fixture has handlers inside the deleted signal handler"
    for item, lines, deleter in skips:
        assert "`global-signal-handler`" in found[deleter - 1]["title"]
        assert all(int(line) in deleted for line in lines), item
    kept = line_of("torch.save(state, path)") + 1  # the handler in save_state stays: its fixes rewrite it
    assert all(f"train.py:{kept}" not in item.get("Skip", "") for item in found)
    assert "already done" not in text.lower()


def test_every_estimate_shows_its_basis() -> None:
    from audit.registry import get_rule

    text = partial_report()
    rows = estimate_rows(text)
    *plans, total = rows
    for number, rule, findings, skipped, to_fix, each, effort, _, _ in plans:
        name = re.search(r"`(.+?)`", rule)[1]
        assert int(each) == get_rule(name).remedy.minutes
        assert int(to_fix) == int(findings) - int(skipped)
        assert effort == f"{int(to_fix) * int(each)} min"
        bullet = priorities(text)[int(number) - 1]["Estimated effort"]
        assert f"({to_fix} × {each} min, the rule's estimate per finding)" in bullet
    assert int(total[6].split()[0]) == sum(int(row[6].split()[0]) for row in plans)
    assert int(total[7]) == len(deleted_lines())


def test_priorities_go_by_harm_then_cost_and_state_losing_handlers_lead() -> None:
    text = partial_report()
    found = priorities(text)
    minutes = [int(row[6].split()[0]) for row in estimate_rows(text)[:-1]]
    keys = [(HARMS.index(item["Harm"].split(":")[0].split(" ")[0]), "save, load or open" not in item["title"],
             RISKS.index(item["Risk"].split(" ")[0]), spent) for item, spent in zip(found, minutes, strict=True)]
    assert keys == sorted(keys)
    assert "save, load or open" in found[0]["title"] and "(`save`)" in found[0]["Action"]
    handling = [item["title"] for item in found if "(error handling)" in item["Risk"]]
    assert all("save, load or open" in title for title in handling[:2])
    assert "save, load or open" not in handling[-1]


def test_title_names_the_scanned_folder_and_one_line_ranges_have_one_number() -> None:
    text = partial_report()
    assert text.startswith('---\ntitle: "Assessment: partial"\n') and "\n# Assessment: partial\n" in text
    assert f"`train.py:{line_of('import os')}`" in text
    assert not re.search(r":(\d+)-\1\b", text)


@pytest.mark.parametrize("epoch", ["99999999999999999999", "-99999999999999999999", "soon", "1.5", " "])
def test_bad_source_date_epoch_is_a_one_line_error(epoch: str) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
    done = subprocess.run([sys.executable, "-m", "audit", "report", "."], cwd=PARTIAL, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "SOURCE_DATE_EPOCH" in done.stderr


def test_title_is_quoted_in_the_front_matter() -> None:
    done = run_audit("report", ".", "--date", "2025-12-06", "--title", 'A "quoted" title', cwd=PARTIAL)
    assert done.returncode == 0 and 'title: "A \\"quoted\\" title"' in done.stdout


def test_handlers_guarding_saves_loads_and_resumes_are_found() -> None:
    from audit.plan import state_guards

    source = (
        "try:\n    trainer.fit(model, ckpt_path=path)\nexcept Exception:\n    trainer.fit(model)\n"
        "try:\n    state = torch.load(path)\nexcept (OSError, RuntimeError):\n    state = None\n"
        "try:\n    import wandb\nexcept ImportError:\n    wandb = None\n"
        "try:\n    with open(path, 'w') as handle:\n        handle.write(text)\nexcept OSError:\n    pass\n"
    )
    assert state_guards(source) == {3: "fit(ckpt_path=...)", 7: "load", 16: "open"}
    assert state_guards("def (:\n") == {}


def _start_up_findings(values: dict[str, float | None]) -> list:
    from audit.model import Finding

    return [Finding(rule="heavy-module-import", path=path, line=line, end_line=line, column=1,
                    message="module-scope import", value=value)
            for path, value in values.items() for line in (2, 3)]


def test_measured_import_times_become_the_start_up_saving() -> None:
    """Two findings per module share its import time; each module counts once; the phase shows the largest."""
    from audit.plan import recommendations
    from audit.report import implementation_plan, recommendation

    plans = recommendations(_start_up_findings({"train.py": 3.14, "evaluate.py": 1.5}))
    [plan] = plans
    assert plan.measured_savings == {"evaluate.py": 1.5, "train.py": 3.14}
    assert "### Phase 1: Start-up (about 40 min; saves up to ~3.1 s per start-up, measured)" in \
        implementation_plan(plans)
    [item] = priorities("## Recommendations\n\n" + recommendation(1, plan) + "\n### Basis of the estimates")
    assert item["Expected saving"].startswith("saves up to ~3.1 s per start-up, measured by `--measure-imports`: "
                                              "the import time of each flagged module (`evaluate.py` 1.50 s, "
                                              "`train.py` 3.14 s)")


def test_without_measured_times_the_start_up_phase_promises_no_saving() -> None:
    from audit.plan import recommendations
    from audit.report import implementation_plan, recommendation

    plans = recommendations(_start_up_findings({"train.py": None}))
    assert plans[0].measured_savings == {}
    assert "### Phase 1: Start-up (about 20 min)\n" in implementation_plan(plans)
    assert "Expected saving" not in recommendation(1, plans[0])


def test_report_measure_imports_states_the_measured_start_up_saving(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.audit]\nheavy-modules = ["slow_stand_in"]\n')
    (tmp_path / "slow_stand_in.py").write_text("import time\n\ntime.sleep(0.3)\n")
    (tmp_path / "app.py").write_text(
        'import argparse\nimport slow_stand_in\n\nif __name__ == "__main__":\n    argparse.ArgumentParser()\n'
        "    slow_stand_in.run()\n")
    plain = report("app.py", "--date", "2025-12-06", cwd=tmp_path)
    assert "measured" not in plain
    measured = report("app.py", "--date", "2025-12-06", "--measure-imports", cwd=tmp_path)
    seconds = float(re.search(r"### Phase 1: Start-up \(about 10 min; saves up to ~(\d+\.\d) s per start-up, "
                              r"measured\)", measured)[1])
    assert seconds >= 0.3
    assert "- **Expected saving:** saves up to" in measured
