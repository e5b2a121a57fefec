"""``audit scan -`` reads the source from stdin; ``--stdin-filename`` names it and picks its settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.output import FORMATS
from tests.helpers import ROOT

BAD = "import os\n\n\ndef f():\n    try:\n        pass\n    except Exception:\n        pass\n"


def run_stdin(source: str | bytes, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m audit scan ARGS`` with ``source`` on stdin."""
    data = source.encode() if isinstance(source, str) else source
    done = subprocess.run([sys.executable, "-m", "audit", "scan", *args], cwd=cwd, input=data,
                          capture_output=True, timeout=120, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def json_of(source: str | bytes, *args: str, cwd: Path) -> tuple[int, dict]:
    done = run_stdin(source, "--format", "json", *args, cwd=cwd)
    return done.returncode, json.loads(done.stdout)


def rules_of(report: dict) -> list[tuple[str, int, str]]:
    return [(finding["path"], finding["line"], finding["rule"]) for finding in report["findings"]]


def test_dash_reads_stdin_and_shows_dash(tmp_path: Path) -> None:
    code, report = json_of(BAD, "-", cwd=tmp_path)
    assert code == 1 and report["files_scanned"] == 1
    assert rules_of(report) == [("-", 1, "unused-import"), ("-", 7, "broad-except"), ("-", 7, "silent-except")]
    code, report = json_of("def f(x):\n    return x\n", "-", cwd=tmp_path)
    assert code == 0 and report["findings"] == [] and report["files_scanned"] == 1


def test_stdin_filename_is_the_path_shown(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    code, report = json_of(BAD, "-", "--stdin-filename", "pkg/train.py", cwd=tmp_path)
    assert code == 1 and {path for path, _, _ in rules_of(report)} == {"pkg/train.py"}
    code, report = json_of(BAD, "--stdin-filename", str(tmp_path / "pkg" / "train.py"), cwd=tmp_path)
    assert code == 1 and {path for path, _, _ in rules_of(report)} == {"pkg/train.py"}


def test_stdin_is_read_not_the_file_on_disk(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("def f(x):\n    return x\n")
    code, report = json_of(BAD, "-", "--stdin-filename", "train.py", cwd=tmp_path)
    assert code == 1 and len(report["findings"]) == 3


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_shows_the_stdin_filename(tmp_path: Path, name: str) -> None:
    done = run_stdin(BAD, "-", "--stdin-filename", "pkg/train.py", "--format", name, cwd=tmp_path)
    assert done.returncode == 1 and "pkg/train.py" in done.stdout and "broad-except" in done.stdout, done.stderr


@pytest.mark.parametrize("name, shown", [("text", "\n-\n"), ("concise", "\n-:7:5: broad-except "),
                                         ("json", '"path": "-"')])
def test_formats_show_dash_without_a_filename(tmp_path: Path, name: str, shown: str) -> None:
    done = run_stdin(BAD, "-", "--format", name, cwd=tmp_path)
    assert done.returncode == 1 and shown in "\n" + done.stdout


def test_config_is_found_from_the_stdin_filename(tmp_path: Path) -> None:
    """pyproject.toml is searched from the named file's folder, and its per-file settings apply."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.audit]\nignore = ["unused-import"]\n\n[tool.audit.per-file-ignores]\n"scripts/*.py" = ["broad-except"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, report = json_of(BAD, "-", "--stdin-filename", str(project / "scripts" / "run.py"), cwd=elsewhere)
    assert [rule for _, _, rule in rules_of(report)] == ["silent-except"]
    code, report = json_of(BAD, "-", "--stdin-filename", str(project / "train.py"), cwd=elsewhere)
    assert [rule for _, _, rule in rules_of(report)] == ["broad-except", "silent-except"]
    code, report = json_of(BAD, "-", cwd=elsewhere)  # no name: the search starts in the current folder
    assert len(report["findings"]) == 3


def test_exclude_applies_to_the_stdin_filename_only_under_force_exclude(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.audit]\nexclude = ["generated"]\n')
    name = "generated/model_pb2.py"
    code, report = json_of(BAD, "-", "--stdin-filename", name, cwd=tmp_path)
    assert code == 1 and report["files_scanned"] == 1
    done = run_stdin(BAD, "-", "--stdin-filename", name, "--force-exclude", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr == f"audit: warning: no Python files to analyse under {name}\n"
    code, report = json_of(BAD, "-", "--stdin-filename", "build/x.py", "--force-exclude", cwd=tmp_path)
    assert code == 0 and report["files_scanned"] == 0  # a default exclude


def test_bad_source_is_an_error_naming_the_stdin_filename(tmp_path: Path) -> None:
    code, report = json_of("def f(:\n", "-", "--stdin-filename", "broken.py", cwd=tmp_path)
    assert code == 2 and report["errors"][0]["path"] == "broken.py"
    assert report["errors"][0]["message"].startswith("line 1, column")
    code, report = json_of(b"\xef\xbb\xbfimport os\r\n", "-", cwd=tmp_path)  # a BOM and CRLF are read as a file's
    assert code == 1 and rules_of(report) == [("-", 1, "unused-import")]
    code, report = json_of(b"x = '\xff'\n", "-", cwd=tmp_path)
    assert code == 2 and report["errors"][0]["message"].startswith("cannot decode")


def test_suppressions_and_unused_ones_work_on_stdin(tmp_path: Path) -> None:
    source = "import os  # noqa: F401\nimport sys  # noqa: F401\n\nprint(sys.argv)\n"
    code, report = json_of(source, "-", "--report-unused-suppressions", cwd=tmp_path)
    assert code == 0 and report["findings"] == []
    assert [(entry["path"], entry["line"]) for entry in report["unused_suppressions"]] == [("-", 2)]


@pytest.mark.parametrize("args, message", [
    (("-", "other.py"), "`-` (read stdin) cannot be combined with other paths"),
    (("other.py", "--stdin-filename", "x.py"), "--stdin-filename names the source read from stdin"),
    (("-", "--measure-imports"), "--measure-imports imports modules from disk"),
])
def test_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = run_stdin(BAD, *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"audit: error: {message}") and done.stderr.count("\n") == 1


def test_closed_stdin_is_a_one_line_error(tmp_path: Path) -> None:
    done = subprocess.run(f'"{sys.executable}" -m audit scan - <&-', shell=True, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and done.stderr.startswith("audit: error: cannot read stdin")
    assert done.stderr.count("\n") == 1


def test_dogfood_file_through_stdin_matches_the_file_scan() -> None:
    source = (ROOT / "legacy" / "ocr" / "train.py").read_bytes()
    from_stdin = run_stdin(source, "-", "--stdin-filename", "legacy/ocr/train.py", "--format", "json", cwd=ROOT)
    from_file = subprocess.run([sys.executable, "-m", "audit", "scan", "--format", "json", "legacy/ocr/train.py"],
                               cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert from_stdin.returncode == from_file.returncode == 1
    assert json.loads(from_stdin.stdout) == json.loads(from_file.stdout)
