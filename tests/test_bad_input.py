"""Bad input never gives a traceback: one line naming the file, and exit 2."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import run_audit


def _pyproject(text: bytes) -> Callable[[Path], tuple[list[str], str]]:
    def plant(folder: Path) -> tuple[list[str], str]:
        (folder / "pyproject.toml").write_bytes(text)
        (folder / "src").mkdir()
        (folder / "src" / "a.py").write_text("x = 1\n")
        return ["src"], "pyproject.toml"
    return plant


def _fifo(folder: Path) -> tuple[list[str], str]:
    os.mkfifo(folder / "pipe.py")
    return ["pipe.py"], "pipe.py: a FIFO"


def _dev_null(folder: Path) -> tuple[list[str], str]:
    return ["/dev/null"], "/dev/null: a character device"


def _surrogate_cookie(folder: Path) -> tuple[list[str], str]:
    (folder / "esc.py").write_bytes(b'# coding: unicode_escape\nx = "\\ud800"\n')
    return ["esc.py"], "esc.py: cannot decode"


def _non_utf8_name_in_git(folder: Path) -> tuple[list[str], str]:
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    with open(os.fsencode(folder) + b"/broken\xff.py", "wb") as handle:
        handle.write(b"def f(:\n")
    return ["."], "broken\\udcff.py: line 1"


CASES = {
    "non-UTF-8 pyproject.toml": _pyproject(b"[tool.audit]\nexclude = ['\xff']\n"),
    "[tool] audit = 5": _pyproject(b"[tool]\naudit = 5\n"),
    "[[tool.audit]]": _pyproject(b"[[tool.audit]]\nselect = []\n"),
    'tool = "audit"': _pyproject(b'tool = "audit"\n'),
    "named FIFO": _fifo,
    "/dev/null": _dev_null,
    "coding cookie giving surrogates": _surrogate_cookie,
    "non-UTF-8 file name in a git work tree": _non_utf8_name_in_git,
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["scan", "report"])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, case: str, command: str) -> None:
    args, expected = CASES[case](tmp_path)
    done = run_audit(command, *args, cwd=tmp_path, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 2 and "Traceback" not in output
    error_lines = [line for line in output.splitlines() if "error" in line.lower()]
    assert len(error_lines) == 1 and expected in error_lines[0], output
