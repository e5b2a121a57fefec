"""The real ``audit`` command in a subprocess: exit codes, JSON, errors, discovery, config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_audit, run_json

BAD = "import os\n\n\ndef f():\n    try:\n        pass\n    except Exception:\n        pass\n"
FINDING_KEYS = {"rule", "path", "line", "end_line", "column", "end_column", "symbol", "message", "value", "threshold",
                "fingerprint"}


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_version_and_help() -> None:
    assert run_audit("--version").stdout.startswith("audit ")
    done = run_audit()
    assert done.returncode == 2 and "scan" in done.stderr


def test_clean_findings_and_exit_zero(tmp_path: Path) -> None:
    write(tmp_path, "good.py", "def f(x):\n    return x\n")
    assert run_audit("scan", ".", cwd=tmp_path).returncode == 0
    write(tmp_path, "bad.py", BAD)
    done = run_audit("scan", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert "bad.py" in done.stdout and "broad-except" in done.stdout and "unused-import" in done.stdout
    assert run_audit("scan", "--exit-zero", ".", cwd=tmp_path).returncode == 0


def test_default_path_is_current_directory(tmp_path: Path) -> None:
    write(tmp_path, "bad.py", BAD)
    code, report = run_json(cwd=tmp_path)
    assert code == 1 and report["files_scanned"] == 1


def test_json_schema(tmp_path: Path) -> None:
    write(tmp_path, "b.py", BAD)
    write(tmp_path, "a.py", "import sys\n")
    code, report = run_json(".", cwd=tmp_path)
    assert code == 1
    assert set(report) == {"version", "files_scanned", "findings", "errors", "warnings"}
    assert report["version"] == 1 and report["files_scanned"] == 2 and report["errors"] == report["warnings"] == []
    for finding in report["findings"]:
        assert set(finding) == FINDING_KEYS
    keys = [(finding["path"], finding["line"]) for finding in report["findings"]]
    assert keys == sorted(keys) and keys[0] == ("a.py", 1)
    broad = next(finding for finding in report["findings"] if finding["rule"] == "broad-except")
    assert broad == {"rule": "broad-except", "path": "b.py", "line": 7, "end_line": 8, "column": 5, "end_column": 13,
                     "symbol": "f", "message": broad["message"], "value": None, "threshold": None,
                     "fingerprint": broad["fingerprint"]}
    assert len(broad["fingerprint"]) == 16 and int(broad["fingerprint"], 16) >= 0


def test_metric_findings_carry_value_and_threshold(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.audit]\nmax-function-lines = 3\n")
    write(tmp_path, "m.py", "def f():\n    a = 1\n    b = 2\n    return a + b\n")
    code, report = run_json(".", cwd=tmp_path)
    (finding,) = report["findings"]
    assert code == 1 and finding["value"] == 4 and finding["threshold"] == 3 and finding["end_line"] == 4


def test_select_and_ignore(tmp_path: Path) -> None:
    write(tmp_path, "bad.py", BAD)
    _, only = run_json("--select", "unused-import", ".", cwd=tmp_path)
    assert {finding["rule"] for finding in only["findings"]} == {"unused-import"}
    _, without = run_json("--ignore", "unused-import,silent-except", ".", cwd=tmp_path)
    assert {finding["rule"] for finding in without["findings"]} == {"broad-except"}


def test_unknown_rule_is_a_usage_error(tmp_path: Path) -> None:
    done = run_audit("scan", "--select", "no-such-rule", ".", cwd=tmp_path)
    assert done.returncode == 2 and "no-such-rule" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("table", "key"), [
    ("max-complexity = -1", "max-complexity"),
    ("max-function-lines = \"long\"", "max-function-lines"),
    ("select = [\"nope\"]", "select"),
    ("silent-except-allow = \"ImportError\"", "silent-except-allow"),
    ("no-such-key = 1", "no-such-key"),
    ("per-file-ignores = { \"x.py\" = [\"nope\"] }", "per-file-ignores"),
])
def test_bad_config_value_names_the_key(tmp_path: Path, table: str, key: str) -> None:
    write(tmp_path, "pyproject.toml", f"[tool.audit]\n{table}\n")
    write(tmp_path, "a.py", "x = 1\n")
    done = run_audit("scan", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert key in done.stderr and "pyproject.toml" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_broken_toml_and_missing_config(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.audit\n")
    assert run_audit("scan", ".", cwd=tmp_path).returncode == 2
    done = run_audit("scan", "--config", "missing.toml", ".", cwd=tmp_path)
    assert done.returncode == 2 and "missing.toml" in done.stderr


def test_config_is_found_upward_and_per_file_ignores(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml",
          "[tool.audit]\nignore = [\"silent-except\"]\n[tool.audit.per-file-ignores]\n\"pkg/legacy_*.py\" = [\"broad-except\"]\n")
    write(tmp_path, "pkg/legacy_train.py", BAD)
    write(tmp_path, "pkg/train.py", BAD)
    _, report = run_json("pkg", cwd=tmp_path)
    found = {(finding["path"], finding["rule"]) for finding in report["findings"]}
    assert found == {("pkg/legacy_train.py", "unused-import"), ("pkg/train.py", "unused-import"),
                     ("pkg/train.py", "broad-except")}


def test_config_file_option(tmp_path: Path) -> None:
    write(tmp_path, "strict.toml", "max-function-lines = 1\nselect = [\"long-function\"]\n")
    write(tmp_path, "a.py", "def f():\n    return 1\n")
    code, report = run_json("--config", "strict.toml", "a.py", cwd=tmp_path)
    assert code == 1 and [finding["rule"] for finding in report["findings"]] == ["long-function"]


def test_default_excludes_exclude_and_gitignore(tmp_path: Path) -> None:
    for folder in (".venv/lib", "build", "dist", "__pycache__", "node_modules", ".tox", "site-packages", "env"):
        write(tmp_path, f"{folder}/bad.py", BAD)
    write(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "generated/bad.py", BAD)
    write(tmp_path, "ignored_by_git.py", BAD)
    write(tmp_path, ".gitignore", "ignored_by_git.py\n")
    write(tmp_path, "pyproject.toml", "[tool.audit]\nexclude = [\"generated\"]\n")
    write(tmp_path, "kept.py", "x = 1\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    code, report = run_json(".", cwd=tmp_path)
    assert (code, report["files_scanned"], report["findings"]) == (0, 1, [])
    code, report = run_json("generated/bad.py", cwd=tmp_path)  # named explicitly: always scanned
    assert code == 1


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    code, report = run_json("nope.py", cwd=tmp_path)
    assert code == 2 and report["errors"] == [{"path": "nope.py", "message": "no such file or directory"}]


BROKEN_FILES = {
    "syntax.py": (b"def f(:\n    pass\n", "SyntaxError"),
    "latin1.py": (b"x = '\xe9t\xe9'\n", "cannot decode"),
    "nul.py": (b"x = 1\n\x00y = 2\n", "NUL byte"),
    "deep.py": (b"x = " + b"1+" * 100_000 + b"1\n", "nested"),
    "parens.py": (b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", "nested parentheses"),
}


def test_unanalysable_files_are_errors_and_the_scan_goes_on(tmp_path: Path) -> None:
    for name, (data, _) in BROKEN_FILES.items():
        write(tmp_path, name, data)
    write(tmp_path, "empty.py", b"")
    write(tmp_path, "bad.py", BAD)
    code, report = run_json(".", cwd=tmp_path)
    assert code == 2
    errors = {error["path"]: error["message"] for error in report["errors"]}
    assert set(errors) == set(BROKEN_FILES)
    for name, (_, expected) in BROKEN_FILES.items():
        assert expected in errors[name], errors[name]
    assert "line 1" in errors["syntax.py"] and "line 2" in errors["nul.py"]
    assert report["files_scanned"] == len(BROKEN_FILES) + 2
    assert {finding["path"] for finding in report["findings"]} == {"bad.py"}


def test_coding_cookie_is_honoured(tmp_path: Path) -> None:
    write(tmp_path, "latin1.py", b"# -*- coding: latin-1 -*-\nx = '\xe9t\xe9'\n")
    assert run_json(".", cwd=tmp_path) == (0, {"version": 1, "files_scanned": 1, "findings": [], "errors": [],
                                               "warnings": []})


def test_symlink_loops_do_not_hang(tmp_path: Path) -> None:
    write(tmp_path, "pkg/a.py", "x = 1\n")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    os.symlink("self.py", tmp_path / "pkg" / "self.py")
    code, report = run_json(".", cwd=tmp_path)
    assert code == 2 and [error["path"] for error in report["errors"]] == ["pkg/self.py"]
    assert report["files_scanned"] == 2


def test_large_generated_file(tmp_path: Path) -> None:
    rows = "\n".join(f'    "key_{index:07d}": "{"v" * 100}",' for index in range(175_000))
    functions = "\n".join(f"def f{index}(x):\n    return x + {index}\n" for index in range(1000))
    path = write(tmp_path, "generated.py", f"TABLE = {{\n{rows}\n}}\n{functions}import os\n")
    assert path.stat().st_size > 20 * 1024 * 1024
    code, report = run_json(".", cwd=tmp_path)  # over the default max-file-size: skipped with a warning
    assert (code, report["files_scanned"], report["findings"]) == (0, 0, [])
    assert report["warnings"][0]["path"] == "generated.py" and "max-file-size" in report["warnings"][0]["message"]
    write(tmp_path, "pyproject.toml", "[tool.audit]\nmax-file-size = \"30 MB\"\n")
    code, report = run_json(".", cwd=tmp_path)
    assert code == 1 and [finding["rule"] for finding in report["findings"]] == ["unused-import"]


def test_scanned_code_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    write(tmp_path, "evil.py", f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n")
    write(tmp_path, "conftest.py", f"open({str(marker)!r}, 'w').write('ran')\n")
    run_audit("scan", ".", cwd=tmp_path)
    assert not marker.exists()


def test_parallel_and_serial_scans_agree(tmp_path: Path) -> None:
    for index in range(60):
        write(tmp_path, f"m{index:02d}.py", BAD if index % 3 else "x = 1\n")
    serial = run_json("--jobs", "1", ".", cwd=tmp_path)
    parallel = run_json("--jobs", "2", ".", cwd=tmp_path)
    assert serial == parallel and serial[0] == 1


def test_rules_command() -> None:
    listing = run_audit("rules")
    assert listing.returncode == 0
    for name in ("long-function", "high-complexity", "broad-except", "silent-except", "unused-import",
                 "global-signal-handler", "global-statement"):
        assert name in listing.stdout
    one = run_audit("rules", "global-signal-handler")
    assert one.returncode == 0 and "entry function" in one.stdout and "signal.signal" in one.stdout
    assert run_audit("rules", "nope").returncode == 2


def test_audit_is_clean_on_itself() -> None:
    code, report = run_json("audit")
    assert (code, report["findings"], report["errors"]) == (0, [], [])


def test_importing_audit_pulls_in_no_heavy_modules() -> None:
    probe = ("import sys, audit.cli, audit.engine, audit.registry; audit.registry.all_rules();"
             "print(sorted(m for m in ('torch', 'lightning', 'hydra', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout.replace("'", '"')) == []


def test_a_crashing_rule_is_reported_per_file(tmp_path: Path) -> None:
    """A bug in one rule becomes an error entry for that file (exit 2), not a traceback that ends the scan."""
    from audit.config import settings_from_table
    from audit.engine import analyse_source
    from audit.registry import get_rule

    rule = get_rule("global-statement")
    settings = settings_from_table({}, root=tmp_path, source=None)
    original = type(rule).check
    try:
        type(rule).check = lambda self, module, options: iter([1 / 0])
        result = analyse_source("x.py", b"x = 1\n", settings)
    finally:
        type(rule).check = original
    assert result.error is None and [error.rule for error in result.rule_errors] == ["global-statement"]
    assert "ZeroDivisionError" in result.rule_errors[0].message


def test_missing_dependency_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "x = 1\n")
    probe = "import sys; sys.modules['radon'] = None; from audit.cli import main; raise SystemExit(main(['scan', '.']))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 2 and "missing dependency 'radon'" in done.stderr and "Traceback" not in done.stderr
