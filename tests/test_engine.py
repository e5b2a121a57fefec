"""The engine: line and column arithmetic, the enclosing-function index, rule isolation, the registry, parse errors."""

from __future__ import annotations

import ast
import random
import sys
from pathlib import Path

import pytest

from audit.config import settings_from_table
from audit.engine import SourceError, analyse_source, newer_syntax, parse
from audit.registry import RegistryError, get_rule, register
from audit.rule import Option, Rule, non_negative_int
from audit.source import FunctionInfo, SourceModule, character_column, split_lines
from tests.helpers import run_audit, run_json


def module_of(source: str) -> SourceModule:
    return SourceModule("m.py", source, ast.parse(source))


@pytest.mark.parametrize("source", ["", "a", "a\n", "a\n\n", "a\r\nb\rc\nd", "a\fb\x1cc\x85d\u2028e\n", "\r\n"])
def test_split_lines_counts_lines_as_python_does(source: str) -> None:
    lines = split_lines(source)
    assert "".join(lines) == source.replace("\r\n", "").replace("\r", "").replace("\n", "")
    compiled_lines = source.replace("\r\n", "\n").replace("\r", "\n")
    assert len(lines) == len(compiled_lines.split("\n")) - (compiled_lines.endswith("\n") or not source)


def brute_force_enclosing(functions: list[FunctionInfo], line: int) -> FunctionInfo | None:
    best = None
    for info in functions:
        if info.start <= line <= info.end:
            best = info
    return best


def nested_program(seed: int) -> str:
    """Functions, methods and classes nested at random, with statements between them."""
    rng = random.Random(seed)
    lines: list[str] = []

    def block(indent: int, depth: int) -> None:
        for index in range(rng.randint(1, 4)):
            pad = "    " * indent
            choice = rng.random()
            if depth < 4 and choice < 0.35:
                lines.append(f"{pad}def f{len(lines)}():")
                block(indent + 1, depth + 1)
            elif depth < 4 and choice < 0.5:
                lines.append(f"{pad}class C{len(lines)}:")
                block(indent + 1, depth + 1)
            else:
                lines.append(f"{pad}x{index} = {index}")

    block(0, 0)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(30))
def test_enclosing_function_matches_a_brute_force_search(seed: int) -> None:
    module = module_of(nested_program(seed))
    for line in range(0, len(module.lines) + 2):
        assert module.enclosing_function(line) is brute_force_enclosing(module.functions, line)


def test_columns_count_characters_not_bytes() -> None:
    source = 'x = "éé"; import os\ns = "日本"; t = "😀"; import re\n'
    module = module_of(source)
    imports = module.nodes(ast.Import)
    found = sorted((module.finding("unused-import", node, "m") for node in imports), key=lambda item: item.line)
    assert [(finding.line, finding.column, finding.end_column) for finding in found] == [(1, 11, 20), (2, 20, 29)]
    for finding in found:
        line = module.lines[finding.line - 1]
        assert line[finding.column - 1:finding.end_column - 1].startswith("import ")
    assert character_column("éé", 4) == 2 and character_column("ab", 1) == 1


def test_end_column_is_left_out_when_the_span_is_not_the_node() -> None:
    module = module_of("def f():\n    return 1\n")
    (function,) = module.nodes(ast.FunctionDef)
    assert module.finding("r", function, "m").end_column == 13
    assert module.finding("r", function, "m", end_line=1).end_column is None


def test_a_crashing_rule_loses_only_its_own_findings_and_exits_2(tmp_path: Path) -> None:
    rule = get_rule("broad-except")
    settings = settings_from_table({}, root=tmp_path, source=None)
    source = b"import os\ntry:\n    pass\nexcept Exception:\n    pass\n"
    original = type(rule).check
    try:
        type(rule).check = lambda self, module, options: iter([1 / 0])
        result = analyse_source("x.py", source, settings)
    finally:
        type(rule).check = original
    assert {finding.rule for finding in result.findings} == {"unused-import", "silent-except"}
    (error,) = result.rule_errors
    assert error.rule == "broad-except" and "rule `broad-except` failed" in error.message
    assert "ZeroDivisionError" in error.message


def test_a_crashing_rule_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("import os\n")
    probe = ("import sys; from audit.registry import get_rule; rule = get_rule('global-statement');"
             "type(rule).check = lambda self, module, options: iter([1 / 0]);"
             "from audit.cli import main; raise SystemExit(main(['scan', '--format', 'json', '.']))")
    import json
    import os
    import subprocess

    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    report = json.loads(done.stdout)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert [finding["rule"] for finding in report["findings"]] == ["unused-import"]
    assert [(error["path"], error["rule"]) for error in report["errors"]] == [("x.py", "global-statement")]


def _rule_class(rule_name: str, *keys: str) -> type[Rule]:
    options = tuple(Option(key, 1, "help", non_negative_int) for key in keys)
    return type(f"Rule_{rule_name}", (Rule,), {"name": rule_name, "options": options})


def test_registry_rejects_a_shared_option_key_and_a_shared_name() -> None:
    assert [rule.name for rule in register([_rule_class("b", "x"), _rule_class("a", "y")])] == ["a", "b"]
    with pytest.raises(RegistryError, match="'a' and 'b' both declare the option 'max-x'"):
        register([_rule_class("a", "max-x"), _rule_class("b", "max-x")])
    with pytest.raises(RegistryError, match="two rules are named 'a'"):
        register([_rule_class("a"), _rule_class("a")])


NEWER = {
    "type Vector = list[float]\n": "3.12",
    "type Pair[T] = tuple[T, T]\n": "3.12",
    "def first[T](items: list[T]) -> T:\n    return items[0]\n": "3.12",
    "class Box[T]:\n    pass\n": "3.12",
    "async def run[T](x: T) -> T:\n    return x\n": "3.12",
    "songs = ['a']\nprint(f\"{', '.join(songs)}: {songs[\"x\" == 'x']}\")\n": "3.12",
    "lines = ['a']\ntext = f\"{'\\n'.join(lines)}\"\n": "3.12",
    "def f[T = int]():\n    pass\n": "3.13",
    "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n": "3.14",
    "name = 'x'\ngreeting = t\"hello {name}\"\n": "3.14",
}


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs a Python older than the syntax")
@pytest.mark.parametrize("source", NEWER)
def test_newer_syntax_says_which_python_to_run(source: str) -> None:
    version = NEWER[source]
    with pytest.raises(SourceError, match=f"needs Python ≥ {version} syntax .*; run audit under {version}"):
        parse("new.py", source.encode())


@pytest.mark.parametrize("source", ["def f(:\n    pass\n", "type = 1 +\n", "x = 't' +\n", "class C(:\n    pass\n",
                                    'x = f"{}"\n'])
def test_plain_syntax_errors_get_no_version_hint(source: str) -> None:
    with pytest.raises(SourceError) as error:
        parse("bad.py", source.encode())
    assert "needs Python" not in str(error.value) and "SyntaxError" in str(error.value)


def test_newer_syntax_is_only_suggested_to_older_pythons() -> None:
    assert newer_syntax("type X = int", "invalid syntax", (3, 11)) == ((3, 12), "`type` alias, PEP 695")
    assert newer_syntax("type X = int", "invalid syntax", (3, 12)) is None
    assert newer_syntax("def f[T = int](): pass", "invalid syntax", (3, 12))[0] == (3, 13)


def test_newer_syntax_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "new.py").write_text("type Vector = list[float]\n")
    code, report = run_json(".", cwd=tmp_path)
    if sys.version_info < (3, 12):
        assert code == 2 and "needs Python ≥ 3.12 syntax" in report["errors"][0]["message"]
    else:
        assert code == 0


def test_coding_cookie_producing_surrogates_cannot_be_decoded(tmp_path: Path) -> None:
    (tmp_path / "esc.py").write_bytes(b'# coding: unicode_escape\nx = "\\ud800"\n')
    done = run_audit("scan", ".", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert "esc.py: cannot decode: line 2" in done.stdout and "internal error" not in done.stdout


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_nul_byte_line_is_counted_as_python_counts_lines(newline: str) -> None:
    data = f"x = 1  # \x0c\x1c{newline}y = 2{newline}z = '\x00'{newline}".encode()
    with pytest.raises(SourceError, match="line 3: source contains a NUL byte"):
        parse("nul.py", data)


def test_character_column_agrees_with_decoding_every_prefix() -> None:
    line = "a = 'é日😀\ud800' + \"x\"  # ü"
    encoded = line.encode("utf-8", "surrogatepass")
    for offset in range(len(encoded) + 1):
        prefix = encoded[:offset].decode("utf-8", "surrogatepass") if _boundary(encoded, offset) else None
        if prefix is not None:
            assert character_column(line, offset) == len(prefix)


def _boundary(encoded: bytes, offset: int) -> bool:
    return offset == len(encoded) or (encoded[offset] & 0xC0) != 0x80
