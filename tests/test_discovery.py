"""What a scan reads: named paths, excludes, --force-exclude, special files, size limits, untrusted checkouts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_audit, run_json, write

BAD = "try:\n    x()\nexcept:\n    pass\n"


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)


def scanned(report: dict) -> set[str]:
    return {finding["path"] for finding in report["findings"]}


def test_a_named_gitignored_folder_is_scanned(tmp_path: Path) -> None:
    write(tmp_path, "build/bad.py", BAD)
    write(tmp_path, "out/bad.py", BAD)
    write(tmp_path, "out/deeper/bad.py", BAD)
    write(tmp_path, ".gitignore", "out/\n")
    git_init(tmp_path)
    code, report = run_json(".", cwd=tmp_path)
    assert (code, report["files_scanned"]) == (0, 0)
    code, report = run_json("out", "build", cwd=tmp_path)
    assert code == 1 and scanned(report) == {"out/bad.py", "out/deeper/bad.py", "build/bad.py"}


def test_gitignore_applies_beneath_a_named_folder(tmp_path: Path) -> None:
    write(tmp_path, "src/kept.py", BAD)
    write(tmp_path, "src/generated/bad.py", BAD)
    write(tmp_path, "src/build/bad.py", BAD)
    write(tmp_path, ".gitignore", "generated/\n")
    git_init(tmp_path)
    code, report = run_json("src", cwd=tmp_path)
    assert code == 1 and scanned(report) == {"src/kept.py"}


def test_named_excluded_paths_are_scanned_unless_force_exclude(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.audit]\nexclude = ["generated", "*_pb2.py"]\n')
    write(tmp_path, "generated/bad.py", BAD)
    write(tmp_path, "api_pb2.py", BAD)
    write(tmp_path, "build/bad.py", BAD)
    write(tmp_path, "kept.py", BAD)
    named = ("generated", "api_pb2.py", "build/bad.py", "kept.py")
    code, report = run_json(*named, cwd=tmp_path)
    assert code == 1 and scanned(report) == {"generated/bad.py", "api_pb2.py", "build/bad.py", "kept.py"}
    code, report = run_json("--force-exclude", *named, cwd=tmp_path)
    assert code == 1 and scanned(report) == {"kept.py"}
    code, report = run_json("--force-exclude", "generated/bad.py", cwd=tmp_path)  # excluded through its folder
    assert (code, report["files_scanned"]) == (0, 0)


def test_pre_commit_hook_passes_force_exclude() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "entry: audit scan --force-exclude\n" in hooks


@pytest.mark.parametrize("args", [("empty",), ("--force-exclude", "build/x.py")])
def test_no_python_file_is_said_on_stderr_never_no_findings(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path, "empty/readme.txt", "not python\n")
    write(tmp_path, "build/x.py", BAD)
    done = run_audit("scan", *args, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "" and "No findings" not in done.stderr
    assert done.stderr == f"audit: warning: no Python files to analyse under {args[-1]}\n"


def test_special_files_in_a_folder_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "good.py", "x = 1\n")
    os.mkfifo(tmp_path / "pipe.py")
    done = run_audit("scan", ".", cwd=tmp_path, timeout=30)
    assert done.returncode == 0
    assert done.stderr == "audit: warning: pipe.py: skipped: a FIFO, not a regular file\n"
    assert "No findings in 1 file." in done.stdout


@pytest.mark.parametrize("kind, expected", [("fifo", "a FIFO"), ("devnull", "a character device")])
def test_a_named_special_file_is_an_error_saying_what_it_is(tmp_path: Path, kind: str, expected: str) -> None:
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.py")
        name = "pipe.py"
    else:
        name = "/dev/null"
    code, report = run_json(name, cwd=tmp_path)
    assert code == 2 and report["errors"] == [{"path": name, "message": f"{expected}, not a regular file"}]


def test_files_over_max_file_size_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "big.py", "import os\n" + "x = 1\n" * 2000)
    write(tmp_path, "small.py", "import os\n")
    write(tmp_path, "pyproject.toml", '[tool.audit]\nmax-file-size = "10 kB"\n')
    for named in (".", "big.py"):
        done = run_audit("scan", named, "small.py", cwd=tmp_path)
        assert done.returncode == 1 and "small.py" in done.stdout and "big.py" not in done.stdout
        assert done.stderr == "audit: warning: big.py: skipped: 12.0 kB is over max-file-size (10.0 kB)\n"
    write(tmp_path, "pyproject.toml", "[tool.audit]\nmax-file-size = 0\n")
    code, report = run_json(".", cwd=tmp_path)
    assert code == 1 and scanned(report) == {"big.py", "small.py"} and report["warnings"] == []


@pytest.mark.parametrize("value", ['"5 parsecs"', "-1", "true", "[1]"])
def test_bad_max_file_size_names_the_key(tmp_path: Path, value: str) -> None:
    write(tmp_path, "pyproject.toml", f"[tool.audit]\nmax-file-size = {value}\n")
    done = run_audit("scan", ".", cwd=tmp_path)
    assert done.returncode == 2 and "`max-file-size` must be a size" in done.stderr


def test_non_utf8_file_names_are_shown_escaped_and_passed_to_git_as_bytes(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    with open(folder + b"/bad\xff.py", "w") as handle:
        handle.write(BAD)
    with open(folder + b"/ignored\xfe.py", "w") as handle:
        handle.write(BAD)
    with open(folder + b"/.gitignore", "wb") as handle:
        handle.write(b"ignored\xfe.py\n")
    git_init(tmp_path)
    done = run_audit("scan", ".", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "bad\\udcff.py" in done.stdout and "ignored" not in done.stdout
    code, report = run_json(".", cwd=tmp_path)
    assert code == 1 and scanned(report) == {"bad\\udcff.py"}


def _plant_hostile_repository(folder: Path) -> Path:
    """A checkout whose .git/config runs a program (fsmonitor hook, smudge filter) that leaves a marker."""
    marker = folder / "marker"
    hook = folder / "hook.sh"
    hook.write_text(f"#!/bin/sh\necho ran >> {marker}\n")
    hook.chmod(0o755)
    git_init(folder)
    write(folder, "src/train.py", BAD)
    write(folder, ".gitattributes", "*.py filter=evil\n")
    write(folder, ".gitignore", "hook.sh\n")
    subprocess.run(["git", "-c", "core.fsmonitor=false", "add", "-A"], cwd=folder, check=True)
    subprocess.run(["git", "-c", "core.fsmonitor=false", "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "init"], cwd=folder, check=True)
    subprocess.run(["git", "config", "core.fsmonitor", str(hook)], cwd=folder, check=True)
    subprocess.run(["git", "config", "filter.evil.smudge", f"{hook} %f; cat"], cwd=folder, check=True)
    subprocess.run(["git", "config", "filter.evil.clean", f"{hook} %f; cat"], cwd=folder, check=True)
    return marker


def test_scan_and_report_run_nothing_from_an_untrusted_checkout(tmp_path: Path) -> None:
    marker = _plant_hostile_repository(tmp_path)
    subprocess.run(["git", "status", "--short"], cwd=tmp_path, capture_output=True, check=False)
    assert marker.exists(), "the planted hook must work, or this test proves nothing"
    marker.unlink()
    assert run_audit("scan", ".", cwd=tmp_path).returncode == 1
    assert run_audit("scan", "src", cwd=tmp_path).returncode == 1
    assert run_audit("report", ".", "-o", "report.md", cwd=tmp_path).returncode == 0
    assert not marker.exists()
