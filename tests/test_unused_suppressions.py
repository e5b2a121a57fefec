"""``--report-unused-suppressions``: directives that silence nothing, judged as ruff's RUF100 judges its codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run_audit, run_json

HANDLER = "try:\n    x()\nexcept:{comment}\n    pass\n"  # broad-except and silent-except on line 3
USED_IMPORT = "import os{comment}\n\nprint(os.sep)\n"
UNUSED_IMPORT = "import os{comment}\n"
CLEAN = "value = 1{comment}\n"


def unused_of(tmp_path: Path, source: str, *args: str, name: str = "m.py") -> list[tuple[int, str, list[str]]]:
    """``(line, directive, unused)`` of a folder scan holding one file (phase 2 runs)."""
    (tmp_path / name).write_text(source)
    code, report = run_json(".", "--report-unused-suppressions", *args, cwd=tmp_path)
    assert code in (0, 1), report
    return [(entry["line"], entry["directive"], entry["unused"]) for entry in report["unused_suppressions"]]


@pytest.mark.parametrize("template, comment, expected", [
    (HANDLER, "  # audit: ignore[broad-except, silent-except]", []),
    (HANDLER, "  # audit: ignore[broad-except, long-function]",
     [(3, "# audit: ignore[broad-except, long-function]", ["long-function"])]),
    (HANDLER, "  # audit: ignore", []),
    (CLEAN, "  # audit: ignore", [(1, "# audit: ignore", [])]),
    (CLEAN, "  # audit: ignore[broad-except] -- a reason", [(1, "# audit: ignore[broad-except]", ["broad-except"])]),
    (UNUSED_IMPORT, "  # noqa: F401", []),
    (USED_IMPORT, "  # noqa: F401", [(1, "# noqa: F401", ["F401"])]),
    (USED_IMPORT, "  # noqa: F401, E501", [(1, "# noqa: F401, E501", ["F401"])]),
    (HANDLER, "  # noqa: E722, BLE001", []),
    (HANDLER, "  # noqa: E722  # audit: ignore[silent-except]", []),
])
def test_line_directives(tmp_path: Path, template: str, comment: str,
                         expected: list[tuple[int, str, list[str]]]) -> None:
    assert unused_of(tmp_path, template.format(comment=comment)) == expected


@pytest.mark.parametrize("comment", ["  # noqa", "  # noqa: E501", "  # NOQA: W291, E731", "  # type: ignore"])
def test_noqa_that_may_serve_other_linters_is_never_reported(tmp_path: Path, comment: str) -> None:
    """Codes no audit rule maps to, and a blanket `# noqa`, belong to ruff and flake8 as much as to audit."""
    assert unused_of(tmp_path, CLEAN.format(comment=comment)) == []


@pytest.mark.parametrize("header, body, expected", [
    ("# audit: ignore-file[global-statement]\n", "def f():\n    global X\n", []),
    ("# audit: ignore-file[global-statement]\n", "def f():\n    return 1\n",
     [(1, "# audit: ignore-file[global-statement]", ["global-statement"])]),
    ("# audit: ignore-file\n", "def f():\n    return 1\n", [(1, "# audit: ignore-file", [])]),
    ("# ruff: noqa: C901\n", "def f():\n    return 1\n", [(1, "# ruff: noqa: C901", ["C901"])]),
    ("# ruff: noqa: F401\n", "import os\n", []),
    ("# ruff: noqa\n", "def f():\n    return 1\n", []),
])
def test_file_directives(tmp_path: Path, header: str, body: str, expected: list) -> None:
    assert unused_of(tmp_path, header + body) == expected


@pytest.mark.parametrize("uses, expected", [("sep", []), ("sep, path", [(1, "# noqa: F401", ["F401"])])])
def test_noqa_on_the_first_line_of_a_multi_line_import(tmp_path: Path, uses: str, expected: list) -> None:
    """ruff reads a multi-line statement's noqa on its first line; it counts as used there."""
    source = f"from os import (  # noqa: F401\n    path,\n    sep,\n)\n\nprint({uses})\n"
    assert unused_of(tmp_path, source) == expected


def test_a_file_directive_still_silences_its_rule(tmp_path: Path) -> None:
    """The rule runs so that its directive can be judged, but its findings stay silenced."""
    (tmp_path / "m.py").write_text("# audit: ignore-file[global-statement]\ndef f():\n    global X\n")
    code, report = run_json(".", "--report-unused-suppressions", cwd=tmp_path)
    assert code == 0 and report["findings"] == [] and report["unused_suppressions"] == []


def test_a_line_directive_under_a_file_directive_for_the_same_rule_is_redundant(tmp_path: Path) -> None:
    source = "# audit: ignore-file[broad-except]\n" + HANDLER.format(comment="  # audit: ignore[broad-except]")
    assert unused_of(tmp_path, source, "--select", "broad-except") == [
        (4, "# audit: ignore[broad-except]", ["broad-except"])]


def test_rules_not_enabled_are_named_apart(tmp_path: Path) -> None:
    source = HANDLER.format(comment="  # audit: ignore[broad-except, silent-except]")
    (tmp_path / "m.py").write_text(source)
    code, report = run_json(".", "--report-unused-suppressions", "--ignore", "broad-except", cwd=tmp_path)
    ((entry),) = report["unused_suppressions"]
    assert code == 0 and entry["unused"] == ["broad-except"]
    assert entry["message"].endswith("not enabled: broad-except")


def test_per_file_ignores_make_a_rule_not_enabled(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.audit.per-file-ignores]\n"m.py" = ["broad-except"]\n')
    entries = unused_of(tmp_path, HANDLER.format(comment="  # noqa: BLE001, E722"))
    assert entries == []  # codes of a rule that is off are left to the other linters that read them
    (tmp_path / "m.py").write_text(HANDLER.format(comment="  # audit: ignore[broad-except, silent-except]"))
    code, report = run_json(".", "--report-unused-suppressions", cwd=tmp_path)
    assert [entry["unused"] for entry in report["unused_suppressions"]] == [["broad-except"]]


def test_blanket_directive_is_not_judged_when_project_rules_did_not_run(tmp_path: Path) -> None:
    """Naming files (as pre-commit does) skips project rules: a blanket ignore may be for one of them."""
    (tmp_path / "m.py").write_text(CLEAN.format(comment="  # audit: ignore"))
    code, report = run_json("m.py", "--report-unused-suppressions", cwd=tmp_path)
    assert code == 0 and report["unused_suppressions"] == []
    code, report = run_json("m.py", "--report-unused-suppressions", "--select", "broad-except", cwd=tmp_path)
    assert [entry["line"] for entry in report["unused_suppressions"]] == [1]


def _config_key_project(tmp_path: Path) -> Path:
    case = tmp_path / "p"
    shutil.copytree(FIXTURES / "projects" / "undefined-config-key" / "basic", case)
    train = case / "train.py"
    lines = train.read_text().splitlines()
    assert lines[6] == "    print(cfg.trainer.max_epochs)" and lines[7].endswith("# expect: undefined-config-key")
    lines[6] += "  # audit: ignore[undefined-config-key]"  # a defined key: nothing to silence
    lines[7] = lines[7].replace("# expect: undefined-config-key", "# audit: ignore[undefined-config-key]")
    train.write_text("\n".join(lines) + "\n")
    return case


def test_suppressions_of_project_rule_findings_count_as_used(tmp_path: Path) -> None:
    case = _config_key_project(tmp_path)
    code, report = run_json(".", "--report-unused-suppressions", "--select", "undefined-config-key", cwd=case)
    assert (8, "undefined-config-key") not in {(f["line"], f["rule"]) for f in report["findings"]}
    assert [(entry["line"], entry["unused"]) for entry in report["unused_suppressions"]] == [
        (7, ["undefined-config-key"])]


def test_project_rule_directives_are_not_judged_when_files_are_named(tmp_path: Path) -> None:
    case = _config_key_project(tmp_path)
    code, report = run_json("train.py", "--report-unused-suppressions", "--select", "undefined-config-key", cwd=case)
    assert code == 0 and report["unused_suppressions"] == []


def test_text_output_warns_on_stderr_and_keeps_the_exit_code(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(USED_IMPORT.format(comment="  # noqa: F401"))
    done = run_audit("scan", "--report-unused-suppressions", ".", cwd=tmp_path)
    assert done.returncode == 0 and "No findings" in done.stdout
    assert done.stderr == "audit: warning: m.py:1: unused suppression `# noqa: F401`: unused: F401\n"
    (tmp_path / "bad.py").write_text(HANDLER.format(comment=""))
    assert run_audit("scan", "--report-unused-suppressions", ".", cwd=tmp_path).returncode == 1


def test_json_has_the_key_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(USED_IMPORT.format(comment="  # noqa: F401"))
    _, report = run_json(".", cwd=tmp_path)
    assert "unused_suppressions" not in report
    _, report = run_json(".", "--report-unused-suppressions", cwd=tmp_path)
    assert report["unused_suppressions"] == [{
        "path": "m.py", "line": 1, "directive": "# noqa: F401", "unused": ["F401"],
        "message": "unused suppression `# noqa: F401`: unused: F401"}]


def test_the_project_itself_has_no_unused_suppression() -> None:
    done = run_audit("scan", "--report-unused-suppressions", "audit", "reference_trainers")
    assert done.returncode == 0 and "unused suppression" not in done.stderr
