"""The training-code rules (issue 10) on the legacy and reference trainers, their options and their plan."""

from __future__ import annotations

from pathlib import Path

from audit.config import settings_from_table
from audit.engine import analyse_source
from audit.registry import get_rule
from tests.helpers import ROOT, run_audit, run_json

TRAINING_RULES = ("heavy-module-import", "manual-device-scaling", "struct-mode-disabled", "isinstance-ladder",
                  "import-time-side-effect", "sync-in-training-loop", "dataloader-worker-mismatch",
                  "duplicate-checkpoint-save", "hard-coded-path")
LEGACY_OCR = ROOT / "legacy" / "ocr" / "train.py"

# (rule, a text that starts the flagged line), as in tests/test_trainer_audit.py. The legacy OCR trainer has
# no import-time side effect, training loop, DataLoader, checkpoint save or hard-coded path of its own.
LEGACY_OCR_PROBLEMS = [
    ("heavy-module-import", "import lightning.pytorch as pl"),
    ("heavy-module-import", "import torch\n"),
    ("heavy-module-import", "from lightning.pytorch.callbacks import"),
    ("struct-mode-disabled", "    OmegaConf.set_struct(config, False)"),
    ("struct-mode-disabled", "        OmegaConf.set_struct(config.hydra, False)"),
    ("manual-device-scaling", "    if auto_gpu_devices and config.trainer.get(\"accelerator\""),
    ("isinstance-ladder", "    if isinstance(wandb_cfg, DictConfig):"),
]


def line_of(path: Path, text: str) -> int:
    source = path.read_text()
    assert source.count(text) == 1, f"{text!r} must occur once in {path}"
    return source[: source.index(text)].count("\n") + 1


def training_findings(*paths: str) -> list[dict]:
    code, report = run_json(*paths, "--select", ",".join(TRAINING_RULES))
    assert report["errors"] == []
    return report["findings"]


def test_legacy_ocr_trainer_shows_each_training_problem_at_its_line() -> None:
    found = sorted((finding["line"], finding["rule"]) for finding in training_findings("legacy/ocr/train.py"))
    assert found == sorted((line_of(LEGACY_OCR, text), rule) for rule, text in LEGACY_OCR_PROBLEMS)


def test_reference_trainers_and_the_audit_itself_are_quiet() -> None:
    assert training_findings("reference_trainers", "audit") == []


def test_manual_device_scaling_spans_the_whole_block() -> None:
    [finding] = [item for item in training_findings("legacy/ocr/train.py") if item["rule"] == "manual-device-scaling"]
    assert finding["end_line"] == line_of(LEGACY_OCR, "                config.trainer.devices = available_gpus\n"
                                                      "                print(f\"[AutoParallel] Requested")


def findings_for(rule: str, source: str, path: str = "example.py", **options: object) -> list[int]:
    settings = settings_from_table({"select": [rule], **options}, root=ROOT, source=None)
    result = analyse_source(path, source.encode(), settings)
    assert result.error is None
    return [finding.line for finding in result.findings]


def test_hard_coded_path_exempts_tests_by_default() -> None:
    source = 'DATA = "/data/ocr"\n'
    assert findings_for("hard-coded-path", source, "ocr/config.py") == [1]
    for path in ("tests/test_data.py", "ocr/tests/helpers.py", "conftest.py", "ocr/data_test.py"):
        assert findings_for("hard-coded-path", source, path) == [], path


def test_heavy_modules_option_replaces_the_default_list() -> None:
    source = "import argparse\nimport torch\nimport pandas\n\nif __name__ == '__main__':\n    argparse.ArgumentParser()\n"
    assert findings_for("heavy-module-import", source) == [2]
    assert findings_for("heavy-module-import", source, **{"heavy-modules": ["pandas"]}) == [3]


def test_heavy_import_inside_a_heavy_package_is_not_flagged() -> None:
    """Moving the import would save nothing: importing the module imports the package first."""
    source = "import argparse\nimport torch\n\nif __name__ == '__main__':\n    argparse.ArgumentParser()\n"
    assert findings_for("heavy-module-import", source, "lightning/fabric/tool.py") == []
    assert findings_for("heavy-module-import", source, "tools/tool.py") == [2]


def test_start_up_rules_form_their_own_phase_in_the_report(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        "import sys\nimport argparse\nimport torch\n\nsys.path.insert(0, 'src')\n\n"
        "def main():\n    argparse.ArgumentParser().parse_args()\n    print(torch)\n\n"
        "if __name__ == '__main__':\n    main()\n")
    done = run_audit("report", ".", "--date", "2026-01-02", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    plan = done.stdout.split("## Implementation plan", 1)[1].split("\n## ", 1)[0]
    assert "### Phase 1: Start-up" in plan
    assert get_rule("heavy-module-import").remedy.title.lower() in plan.lower()
    assert get_rule("import-time-side-effect").remedy.title.lower() in plan.lower()
    assert "| Start-up |" in done.stdout.split("## Risks and mitigations", 1)[1]


CONSOLE_SCRIPT_MODULE = ("import argparse\nimport torch\n\n\ndef main():\n"
                         "    args = argparse.ArgumentParser().parse_args()\n    print(torch, args)\n")


def test_a_function_named_in_project_scripts_makes_an_entry_module(tmp_path: Path) -> None:
    """`[project.scripts]` of the scanned project's pyproject.toml (no `[tool.audit]` needed) names `main`."""
    package = tmp_path / "src" / "trainer"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text(CONSOLE_SCRIPT_MODULE)
    (package / "tool.py").write_text(CONSOLE_SCRIPT_MODULE)  # the same code, but no script names it
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "trainer"\n\n[project.scripts]\n'
                                             'train = "trainer.cli:main"\n')
    code, report = run_json("--select", "heavy-module-import", "src", cwd=tmp_path)
    assert [(finding["path"], finding["line"]) for finding in report["findings"]] == [("src/trainer/cli.py", 2)]


def test_project_scripts_are_read_only_where_tool_audit_does_not_set_console_scripts(tmp_path: Path) -> None:
    (tmp_path / "cli.py").write_text(CONSOLE_SCRIPT_MODULE)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n\n[project.scripts]\nx = "cli:main"\n\n'
                         '[tool.audit]\nconsole-scripts = []\n')
    assert run_json("--select", "heavy-module-import", ".", cwd=tmp_path)[1]["findings"] == []
    pyproject.write_text('[project]\nname = "x"\n\n[tool.audit]\nconsole-scripts = ["cli:main"]\n')
    assert len(run_json("--select", "heavy-module-import", ".", cwd=tmp_path)[1]["findings"]) == 1
    pyproject.write_text('[project]\nname = "x"\n')
    assert run_json("--select", "heavy-module-import", ".", cwd=tmp_path)[1]["findings"] == []
