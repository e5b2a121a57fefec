"""unused-import: where findings are placed and which binding of a name is reported."""

from __future__ import annotations

from audit.config import settings_from_table
from audit.engine import analyse_source
from tests.helpers import FIXTURES


def unused(source: str) -> list[tuple[int, int, str]]:
    settings = settings_from_table({"select": ["unused-import"]}, root=FIXTURES, source=None)
    result = analyse_source("example.py", source.encode(), settings)
    assert result.error is None, result.error
    return [(finding.line, finding.column, finding.message) for finding in result.findings]


def test_each_alias_of_a_multi_line_import_is_placed_at_its_own_name() -> None:
    source = "from os import (\n    sep,\n    getcwd,  # noqa: F401\n    pathsep,\n)\n"
    assert unused(source) == [(2, 5, "`os.sep` is imported but never used"),
                              (4, 5, "`os.pathsep` is imported but never used")]


def test_a_comment_on_the_first_line_of_a_multi_line_import_covers_every_name() -> None:
    assert unused("from os import (  # noqa: F401\n    sep,\n    pathsep,\n)\n") == []
    assert unused("from os import (  # audit: ignore[unused-import]\n    sep,\n)\n") == []


def test_a_name_bound_twice_by_one_import_reports_only_the_last_binding() -> None:
    assert unused("import fu as FU, bar as FU\n") == [(1, 18, "`bar` is imported but never used")]


def test_deeply_nested_expressions_do_not_exhaust_the_recursion_limit() -> None:
    terms = "+".join(["x"] * 2000)
    assert unused(f"import os\nimport x\n\ndef f():\n    return {terms}\n") == [
        (1, 8, "`os` is imported but never used")]
