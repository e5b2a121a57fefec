"""Scan output formats: text never wraps outside a terminal, ``concise`` is one line per finding."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from audit.output import FORMATS
from tests.helpers import ROOT, run_audit, run_json, write

BAD = "import os\n\n\ndef f():\n    try:\n        pass\n    except Exception:\n        pass\n"
LONG_FOLDER = "a_folder_name_long_enough_to_pass_eighty_columns/" * 2


def test_text_under_a_pipe_is_never_wrapped(tmp_path: Path) -> None:
    write(tmp_path, LONG_FOLDER + "train.py", BAD)
    done = subprocess.run([sys.executable, "-m", "audit", "scan", "."], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "30"}, check=False)
    lines = done.stdout.splitlines()
    assert done.returncode == 1 and "\x1b[" not in done.stdout
    assert lines[0] == LONG_FOLDER + "train.py"
    assert any(line.endswith("`except Exception` drops every error, bugs included, and carries on") for line in lines)
    assert lines[-1] == ("Found 3 findings in 1 of 1 file: 1 broad-except, 1 silent-except, 1 unused-import.")
    assert len(lines) == 6  # path, 3 findings, blank, summary


def test_text_in_a_terminal_keeps_riches_layout(tmp_path: Path) -> None:
    write(tmp_path, "train.py", BAD)
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "40", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "audit", "scan", "."], cwd=tmp_path, stdout=secondary,
                               stderr=subprocess.DEVNULL, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(primary)
    output = b"".join(chunks).decode()
    assert "\x1b[" in output  # colour: rich is in charge
    summary_start = output.index("Found 3 findings")
    assert "\n" in output[summary_start:].rstrip()  # the summary is wrapped at the 40-column window


def test_plain_text_is_what_rich_writes_outside_a_terminal() -> None:
    """Outside a terminal the text format skips rich; its lines must be the ones rich would write."""
    import io

    from rich.console import Console

    from audit.model import FileError, Finding, ScanResult
    from audit.output import text

    findings = [Finding("broad-except", "a/[x].py", 7, 7, 5, "`except Exception` [drops] every error"),
                Finding("unused-import", "a/[x].py", 1, 1, 1, "`os` is imported but never used"),
                Finding("duplicate-code", "b\udcff.py", 12345, 12350, 1, "6 lines repeat `configs/[a].yaml`")]
    results = [ScanResult(3, findings, [FileError("c.py", "invalid syntax [line 2]")]), ScanResult(1, [], [])]
    for result in results:
        plain, rich_output = io.StringIO(), io.StringIO()
        text.emit(result, plain)
        text.print_result(result, Console(file=rich_output, soft_wrap=True, width=10**6))
        assert plain.getvalue() == rich_output.getvalue()


def test_concise_is_one_line_per_finding(tmp_path: Path) -> None:
    write(tmp_path, LONG_FOLDER + "train.py", BAD)
    write(tmp_path, "broken.py", "def (:\n")
    done = run_audit("scan", "--format", "concise", ".", cwd=tmp_path)
    assert done.returncode == 2
    _, document = run_json(".", cwd=tmp_path)
    expected = [f"{item['path']}:{item['line']}:{item['column']}: {item['rule']} {item['message']}"
                for item in document["findings"]]
    assert len(expected) == 3 and expected[0].startswith(LONG_FOLDER + "train.py:1:")
    assert done.stdout.splitlines() == [*expected, "broken.py: error: line 1, column 5: SyntaxError: invalid syntax",
                                        "Found 3 findings in 2 files."]


def test_concise_clean_and_exit_codes(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "def f(x):\n    return x\n")
    done = run_audit("scan", "--format", "concise", ".", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "Found 0 findings in 1 file.\n"


@pytest.mark.parametrize("output_format", ["text", "concise"])
def test_undecodable_file_names_are_shown_escaped(tmp_path: Path, output_format: str) -> None:
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text(BAD)
    done = run_audit("scan", "--format", output_format, ".", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "caf\\udce9.py" in done.stdout


def test_format_choices_come_from_the_table() -> None:
    help_text = run_audit("scan", "--help", cwd=ROOT).stdout
    assert "{" + ",".join(FORMATS) + "}" in help_text
    done = run_audit("scan", "--format", "nope", cwd=ROOT)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_rules_output_is_unwrapped_outside_a_terminal() -> None:
    from audit.registry import all_rules

    listing = run_audit("rules", cwd=ROOT).stdout.splitlines()
    assert [line.split()[0] for line in listing] == [rule.name for rule in all_rules()]
    assert all(line.endswith(rule.summary) for line, rule in zip(listing, all_rules(), strict=True))
    rule = all_rules()[0]
    text = run_audit("rules", rule.name, cwd=ROOT).stdout
    assert rule.rationale in text and f"about {rule.remedy.minutes} min per finding" in text
