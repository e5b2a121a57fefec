"""Suppressions: the strict ``# audit:`` grammar, ruff/flake8 compatible ``noqa`` forms, and their warnings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.config import settings_from_table
from audit.engine import analyse_source, parse
from audit.registry import rule_names
from audit.source import split_lines
from audit.suppress import read_suppressions
from tests.helpers import run_audit, run_json

EXAMPLES = int(os.environ.get("AUDIT_HYPOTHESIS_EXAMPLES", "40"))
HANDLER = "try:\n    x()\nexcept:{comment}\n    pass\n"  # broad-except and silent-except on line 3


def findings(source: str, path: str = "m.py") -> list[tuple[int, str]]:
    settings = settings_from_table({}, root=Path.cwd(), source=None)
    result = analyse_source(path, source.encode(), settings)
    assert result.error is None, result.error
    return [(finding.line, finding.rule) for finding in result.findings]


def warnings_of(source: str) -> list[tuple[int, str]]:
    return read_suppressions(source, split_lines(source), rule_names()).warnings


def handler(comment: str) -> str:
    return HANDLER.format(comment=comment)


BOTH = [(3, "broad-except"), (3, "silent-except")]


@pytest.mark.parametrize("comment, expected", [
    ("", BOTH),
    ("  # audit: ignore", []),
    ("  # audit:ignore", []),
    ("  # audit: ignore -- reason given", []),
    ("  # audit: ignore[broad-except]", [(3, "silent-except")]),
    ("  # audit: ignore[broad-except, silent-except]", []),
    ("  # audit: ignore[broad-except silent-except]", []),
    ("  # noqa", []),
    ("  # NOQA", []),
    ("  # noqa: E722", [(3, "silent-except")]),
    ("  # noqa:E501,E722 and a reason", [(3, "silent-except")]),
    ("  # type: ignore  # noqa: E722", [(3, "silent-except")]),
    ("  # noqa: E501", BOTH),
    ("  # noqa : E722", [(3, "silent-except")]),
])
def test_line_suppressions(comment: str, expected: list[tuple[int, str]]) -> None:
    assert findings(handler(comment)) == expected
    assert warnings_of(handler(comment)) == []


@pytest.mark.parametrize("comment", [
    "# audit: ignore[silent-except",
    "# audit: ignore [silent-except]",
    "# audit: ignored",
    "# audit: ignore-me-later",
    "# audit: ignore: because",
    "# audit: skip",
    "# audit:",
    "# Audit: Ignore",
    "# audit: ignore[]",
])
def test_malformed_audit_comments_suppress_nothing_and_warn(comment: str) -> None:
    source = handler("  " + comment)
    assert findings(source) == BOTH
    ((line, message),) = warnings_of(source)
    assert line == 3 and message.startswith("malformed suppression: ") and comment.strip() in message


def test_each_malformed_occurrence_warns() -> None:
    source = "x = 1  # audit: ignored\ny = 2  # audit: ignored\n"
    assert [line for line, _ in warnings_of(source)] == [1, 2]


def test_unknown_rule_names_warn_and_known_ones_still_apply() -> None:
    source = handler("  # audit: ignore[silent-except, no-such-rule]")
    assert findings(source) == [(3, "broad-except")]
    ((line, message),) = warnings_of(source)
    assert line == 3 and "unknown rule `no-such-rule`" in message


@pytest.mark.parametrize("comment", ["# noqa: docstring_linter", "# noqa:", "# noqa: f401", "# noqa: -"])
def test_invalid_noqa_suppresses_nothing(comment: str) -> None:
    source = handler("  " + comment)
    assert findings(source) == BOTH
    ((line, message),) = warnings_of(source)
    assert line == 3 and "invalid `# noqa` directive" in message


def test_invalid_noqa_warns_once_per_file() -> None:
    source = "import os  # noqa: docstring_linter\nimport re  # noqa: whatever\n"
    ((line, message),) = warnings_of(source)
    assert line == 1 and "1 more in this file" in message


def test_text_in_strings_never_counts() -> None:
    source = ('s = "# audit: ignore"\ndoc = """\n# ruff: noqa\n# audit: ignored\n"""\n'
              'import os; label = "# noqa"\nimport re; label = f"{s} # audit: ignore"\n')
    assert findings(source) == [(6, "unused-import"), (7, "unused-import")]
    assert warnings_of(source) == []


@pytest.mark.parametrize("header, expected", [
    ("# ruff: noqa\n", []),
    ("# flake8: noqa\n", []),
    ("#ruff:noqa\n", []),
    ("# type: ignore  # ruff: noqa\n", []),
    ("# ruff: noqa: E722\n", [(4, "silent-except")]),
    ("# flake8: noqa: E722, E501\n", [(4, "silent-except")]),
    ("# ruff: noqa: E501\n", [(4, "broad-except"), (4, "silent-except")]),
    ("# audit: ignore-file\n", []),
    ("# audit: ignore-file[silent-except]\n", [(4, "broad-except")]),
    ("# audit: ignore-file[silent-except, broad-except]\n", []),
    ("# RUFF: NOQA\n", [(4, "broad-except"), (4, "silent-except")]),
])
def test_file_level_suppressions(header: str, expected: list[tuple[int, str]]) -> None:
    assert findings(header + handler("")) == expected


def test_file_level_directive_after_code_suppresses_nothing_and_warns() -> None:
    source = "x = 1  # ruff: noqa\n" + handler("")
    assert findings(source) == [(4, "broad-except"), (4, "silent-except")]
    ((line, message),) = warnings_of(source)
    assert line == 1 and "line of its own" in message


def test_warnings_reach_stderr_and_json_from_worker_processes(tmp_path: Path) -> None:
    for index in range(60):  # enough files for a worker pool
        (tmp_path / f"m{index:02d}.py").write_text("x = 1  # audit: ignored\n" if index == 7 else "x = 1\n")
    done = run_audit("scan", "--jobs", "2", ".", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "audit: warning: m07.py:1: malformed suppression: `# audit: ignored`: expected `# audit: ignore`, "
        "`# audit: ignore[rule, ...]`, `# audit: ignore-file` or `# audit: ignore-file[rule, ...]`; "
        "it suppresses nothing"]
    code, report = run_json("--jobs", "2", ".", cwd=tmp_path)
    assert code == 0 and [(item["path"], item["line"]) for item in report["warnings"]] == [("m07.py", 1)]


# Characters that str.splitlines() breaks at but Python does not.
SEPARATORS = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
# A program with numbered slots where a separator may go: comments and string literals only.
TEMPLATE = [
    "import os  # {0}",
    "text = '{1}'",
    "# {2} a comment",
    "def f():",
    "    value = \"\"\"{3}",
    "    {4}\"\"\"",
    "    try:",
    "        x()",
    "    except:  # audit: ignore[broad-except] {5}",
    "        pass",
    "    return value  # {6}",
    "import re  # audit: ignore",
    "import io  # noqa: F401 {7}",
]
EXPECTED = [(1, "unused-import"), (9, "silent-except")]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(SEPARATORS), max_size=3), min_size=8, max_size=8),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_line_separator_like_characters_keep_findings_and_suppressions_in_place(
        inserted: list[list[str]], newline: str) -> None:
    source = newline.join(TEMPLATE).format(*("".join(chars) for chars in inserted)) + newline
    assert findings(source) == EXPECTED
    lines = parse("m.py", source.encode()).lines
    assert len(lines) == len(TEMPLATE) and lines[8].startswith("    except:") and lines[11] == "import re  # audit: ignore"
    assert warnings_of(source) == []


@pytest.mark.parametrize("separator", SEPARATORS)
def test_smallest_case_from_the_issue(separator: str) -> None:
    source = f"# {separator}\ntry:\n    x()\nexcept:  # audit: ignore\n    pass\n"
    assert findings(source) == []


TRICKY = [
    'x = 1  # noqa\ns = "# noqa: bad"  # audit: ignore\n',
    'doc = """\n# audit: ignored\n"""  # noqa: E501\n',
    'call(\n    "a"  # noqa: bad\n    "b",  # audit: ignore[x]\n)\n',
    'text = f"{value!r} # noqa"  # audit: ignore\nother = 1  # ruff: noqa\n',
    '# ruff: noqa: F401\nimport os\nlabel = \'it\\\'s # noqa\'  # noqa\n',
    'value = (1,  # noqa: F401\n)  # audit: ignore-file\n',
    'if x:\n    pass  # noqa\nelse:  # audit: bad\n    y = """a\nb"""\n',
    'x = 1  #\nnoqa = 2  # noqa: bad\n#\n# audit: ignored\n',
]


def _as_tuple(found: object) -> tuple:
    return (found.by_line, found.whole_file, found.warnings)


@pytest.mark.parametrize("source", TRICKY + [path.read_text() for path in sorted(
    (Path(__file__).resolve().parent.parent / "audit").rglob("*.py"))] + [path.read_text() for path in sorted(
    (Path(__file__).resolve().parent / "fixtures" / "rules").rglob("*.py"))])
def test_reading_candidate_lines_finds_what_tokenizing_the_file_finds(source: str) -> None:
    import ast

    strings = [node for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.Constant, ast.JoinedStr))]
    lines = split_lines(source)
    assert _as_tuple(read_suppressions(source, lines, rule_names(), strings)) == _as_tuple(
        read_suppressions(source, lines, rule_names()))
