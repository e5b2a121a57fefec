"""Project rules (two-phase): fixture projects, their own examples, and where they must stay quiet."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from audit.config import settings_from_table
from audit.engine import scan
from audit.registry import all_rules
from audit.rule import ProjectRule
from tests.helpers import FIXTURES, ROOT, expected_findings, run_json

PROJECTS = FIXTURES / "projects"
PROJECT_RULES = [rule for rule in all_rules() if isinstance(rule, ProjectRule)]
CASES = sorted(path for path in PROJECTS.glob("*/*") if path.is_dir())
_FILE_MARKER = re.compile(r"^# file: (\S+)\n", re.MULTILINE)


def findings_in(folder: Path, rule: str) -> set[tuple[str, int, str]]:
    settings = settings_from_table({"select": [rule]}, root=folder, source=None)
    result = scan([folder], settings, root=folder)
    assert not result.errors, result.errors
    return {(finding.path, finding.line, finding.rule) for finding in result.findings}


def expected_in(folder: Path, rule: str) -> set[tuple[str, int, str]]:
    expected = set()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix not in (".toml",):
            relative = path.relative_to(folder).as_posix()
            expected |= {(relative, line, name) for line, name in expected_findings(path) if name == rule}
    return expected


def write_example(text: str, folder: Path) -> None:
    """Lay out an example whose ``# file: NAME`` lines start each file."""
    parts = _FILE_MARKER.split(text.strip() + "\n")
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    (folder / "pyproject.toml").write_text('[project]\nname = "example"\nversion = "0"\n')


def test_every_project_rule_has_a_fixture_project() -> None:
    assert {rule.name for rule in PROJECT_RULES} == {path.name for path in PROJECTS.iterdir()}


@pytest.mark.parametrize("case", CASES, ids=lambda path: str(path.relative_to(PROJECTS)))
def test_fixture_project_findings_exact(case: Path) -> None:
    rule = case.parent.name
    assert findings_in(case, rule) == expected_in(case, rule)


@pytest.mark.parametrize("rule", PROJECT_RULES, ids=lambda rule: rule.name)
def test_project_rule_examples(rule: ProjectRule, tmp_path: Path) -> None:
    write_example(rule.bad_example, tmp_path / "bad")
    write_example(rule.good_example, tmp_path / "good")
    assert findings_in(tmp_path / "bad", rule.name), "the bad example must be flagged"
    assert not findings_in(tmp_path / "good", rule.name), "the good example must not be flagged"


def test_project_rules_say_nothing_when_files_are_named(tmp_path: Path) -> None:
    """A pre-commit run names files: a project rule that lacks the whole project stays quiet."""
    shutil.copytree(PROJECTS / "unused-config-key" / "basic", tmp_path / "p")
    shutil.copytree(PROJECTS / "backup-file" / "basic", tmp_path / "b")
    code, document = run_json(str(tmp_path / "p" / "train.py"), str(tmp_path / "b" / "train_OLD.py"),
                              "--select", "unused-config-key,backup-file")
    assert code == 0 and document["findings"] == []


def test_yaml_line_suppression(tmp_path: Path) -> None:
    case = tmp_path / "p"
    shutil.copytree(PROJECTS / "unused-config-key" / "basic", case)
    yaml_file = case / "conf" / "data" / "default.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("# expect: unused-config-key",
                                                       "# audit: ignore[unused-config-key]"))
    assert ("conf/data/default.yaml", 2, "unused-config-key") not in findings_in(case, "unused-config-key")


def test_key_read_only_outside_the_scan_is_not_reported(tmp_path: Path) -> None:
    """A legacy script the scan does not cover still reads ``runtime``: say nothing rather than guess."""
    shutil.copytree(PROJECTS / "unused-config-key" / "basic", tmp_path / "app")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    (tmp_path / "app" / "pyproject.toml").unlink()
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old_train.py").write_text(
        "from omegaconf import OmegaConf\n\ncfg = OmegaConf.load('app/conf/train.yaml')\n"
        "print(cfg.runtime.auto_gpu_devices)\n")
    found = {(path, line) for path, line, _ in findings_in(tmp_path / "app", "unused-config-key")}
    assert ("conf/train.yaml", 20) not in found
    assert ("conf/train.yaml", 12) in found


def test_duplicate_code_threshold_is_an_option(tmp_path: Path) -> None:
    case = PROJECTS / "duplicate-code" / "basic"
    settings = settings_from_table({"select": ["duplicate-code"], "min-duplicate-statements": 7}, root=case,
                                   source=None)
    assert not scan([case], settings, root=case).findings


def test_the_reference_trainers_have_no_project_findings() -> None:
    names = ",".join(rule.name for rule in PROJECT_RULES)
    code, document = run_json("--select", names, "reference_trainers", cwd=ROOT)
    assert code == 0, document["findings"]


def test_search_path_folders_join_the_keys_but_are_not_reported(tmp_path: Path) -> None:
    """Groups reached through ``hydra.searchpath`` define keys; being shared, their unused keys are not reported."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    (tmp_path / "app" / "conf").mkdir(parents=True)
    (tmp_path / "shared" / "logger").mkdir(parents=True)
    (tmp_path / "shared" / "__init__.py").write_text("")
    (tmp_path / "shared" / "logger" / "csv.yaml").write_text("kind: csv\nflush_every: 10\n")
    (tmp_path / "app" / "conf" / "train.yaml").write_text(
        "defaults:\n  - logger: csv\n  - _self_\ntrainer:\n  max_epochs: 1\n  dead: 1\n"
        "hydra:\n  searchpath:\n    - pkg://shared\n  job:\n    chdir: false\n")
    (tmp_path / "app" / "train.py").write_text(
        "import hydra\n\n\n@hydra.main(version_base='1.3', config_path='conf', config_name='train')\n"
        "def main(cfg):\n    print(cfg.logger.kind, cfg.trainer.max_epochs, cfg.logger.missing)\n")
    unused = findings_in(tmp_path, "unused-config-key")
    assert unused == {("app/conf/train.yaml", 6, "unused-config-key")}
    assert findings_in(tmp_path, "undefined-config-key") == {("app/train.py", 6, "undefined-config-key")}


def test_an_unreadable_yaml_file_silences_undefined_keys(tmp_path: Path) -> None:
    """The broken file may define the key the code reads: the rule says nothing rather than guess."""
    case = tmp_path / "p"
    shutil.copytree(PROJECTS / "undefined-config-key" / "basic", case)
    assert findings_in(case, "undefined-config-key")
    (case / "conf" / "broken.yaml").write_text("trainer: [unclosed\n")
    assert not findings_in(case, "undefined-config-key")
