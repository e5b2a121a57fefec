"""`audit fix`: the unused-import fix on every import form, byte-exact writes, verification and refusal."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import audit.fix
import audit.fixes.unused_import
from audit.config import Settings, settings_from_table
from audit.engine import analyse_source
from audit.fix import fix_paths, fix_source
from audit.model import SAFE, Edit, Fix
from tests.helpers import FIXTURES, ROOT, run_audit

FIX_FIXTURES = FIXTURES / "fix"
CASES = sorted(path.name for path in FIX_FIXTURES.iterdir() if (path / "before.py").is_file())
BOM = b"\xef\xbb\xbf"


def settings_for(folder: Path, **table: object) -> Settings:
    return settings_from_table(dict(table), root=folder, source=None)


def run_fix(*paths: Path, diff: bool = False, **table: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = fix_paths(list(paths), settings_for(paths[0].parent, **table), diff=diff, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def case_bytes(case: str) -> tuple[bytes, bytes]:
    folder = FIX_FIXTURES / case
    return (folder / "before.py").read_bytes(), (folder / "after.py").read_bytes()


def test_every_fixture_case_has_an_expected_output() -> None:
    assert len(CASES) >= 12
    assert all((FIX_FIXTURES / case / "after.py").is_file() for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_fix_turns_before_into_after(case: str, tmp_path: Path) -> None:
    before, after = case_bytes(case)
    target = tmp_path / "module.py"
    target.write_bytes(before)
    run_fix(target, select=["unused-import"])
    assert target.read_bytes() == after
    ast.parse(after)


@pytest.mark.parametrize("case", CASES)
def test_a_second_fix_changes_nothing(case: str, tmp_path: Path) -> None:
    target = tmp_path / "module.py"
    target.write_bytes(case_bytes(case)[0])
    run_fix(target)
    once = target.read_bytes()
    code, out, _ = run_fix(target)
    assert target.read_bytes() == once
    assert out.startswith("Fixed 0 findings in 0 files")


@pytest.mark.parametrize("case", ["parenthesised", "semicolons", "unicode", "type_checking"])
@pytest.mark.parametrize("variant", ["crlf", "bom", "bom+crlf"])
def test_crlf_and_bom_files_keep_them(case: str, variant: str, tmp_path: Path) -> None:
    before, after = case_bytes(case)
    if "crlf" in variant:
        before, after = before.replace(b"\n", b"\r\n"), after.replace(b"\n", b"\r\n")
    if "bom" in variant:
        before, after = BOM + before, BOM + after
    target = tmp_path / "module.py"
    target.write_bytes(before)
    run_fix(target, select=["unused-import"])
    assert target.read_bytes() == after


def test_a_coding_cookie_file_keeps_its_encoding(tmp_path: Path) -> None:
    source = '# -*- coding: latin-1 -*-\nimport os\nimport sys\nNAME = "café"\nprint(sys, NAME)\n'
    target = tmp_path / "module.py"
    target.write_bytes(source.encode("latin-1"))
    run_fix(target)
    assert target.read_bytes() == source.replace("import os\n", "").encode("latin-1")


def test_the_file_mode_is_kept_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_text("import os\nimport sys\nprint(sys)\n")
    target.chmod(0o751)
    run_fix(target)
    assert target.read_text() == "import sys\nprint(sys)\n"
    assert target.stat().st_mode & 0o7777 == 0o751
    assert sorted(path.name for path in tmp_path.iterdir()) == ["script.py"]


def test_a_symbolic_link_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text("import os\n")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    run_fix(link)
    assert link.is_symlink()
    assert real.read_text() == ""


def test_init_files_are_never_touched(tmp_path: Path) -> None:
    source = (FIX_FIXTURES / "package_init" / "__init__.py").read_bytes()
    package = tmp_path / "package"
    package.mkdir()
    (package / "__init__.py").write_bytes(source)
    (package / "__init__.py").write_bytes(source + b"__all__ = ['helpers']\n")  # now os is reported
    result = analyse_source("package/__init__.py", (package / "__init__.py").read_bytes(),
                            settings_for(tmp_path), fixes=True)
    assert [finding.message for finding in result.findings] == ["`os` is imported but never used"]
    assert result.findings[0].fix is None
    code, out, _ = run_fix(package)
    assert (package / "__init__.py").read_bytes() == source + b"__all__ = ['helpers']\n"
    assert out == "Fixed 0 findings in 0 files (1 remaining)\n" and code == 1


def test_future_and_try_import_error_imports_are_untouched() -> None:
    assert (FIX_FIXTURES / "future" / "after.py").read_text().startswith("from __future__ import annotations, division\n")
    after = (FIX_FIXTURES / "try_import_error" / "after.py").read_text()
    for kept in ("import ujson as json", "import yaml", "import toml", "import tomllib"):
        assert kept in after
    assert "import gone" not in after  # a bare try/finally is no availability check


def test_suppressed_findings_are_not_fixed() -> None:
    after = (FIX_FIXTURES / "suppressed" / "after.py").read_text()
    for kept in ("import os  # noqa: F401", "import sys  # audit: ignore", "Any,  # noqa: F401", "Mapping,"):
        assert kept in after
    assert "Callable" not in after and "json" not in after


def test_selection_and_per_file_ignores_are_respected(tmp_path: Path) -> None:
    target = tmp_path / "module.py"
    target.write_text("import os\n")
    assert run_fix(target, select=["broad-except"])[0] == 0
    assert run_fix(target, ignore=["unused-import"])[0] == 0
    assert run_fix(target, **{"per-file-ignores": {"module.py": ["unused-import"]}})[0] == 0
    assert target.read_text() == "import os\n"


def test_diff_prints_a_patch_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "module.py"
    target.write_text("import os\nimport sys\nprint(sys)\n")
    code, out, err = run_fix(target, diff=True)
    assert code == 1
    assert target.read_text() == "import os\nimport sys\nprint(sys)\n"
    assert "-import os\n" in out and out.startswith("--- ") and "\n+++ " in out
    assert err == "Would fix 1 finding in 1 file (0 remaining)\n"
    target.write_text("import sys\nprint(sys)\n")
    assert run_fix(target, diff=True)[:2] == (0, "")


def test_diff_marks_a_last_line_without_a_newline(tmp_path: Path) -> None:
    target = tmp_path / "module.py"
    target.write_text("import sys\nimport os\nprint(sys)")
    out = run_fix(target, diff=True)[1]
    assert out.endswith(" print(sys)\n\\ No newline at end of file\n")


def test_summary_and_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import os\nimport sys\n")
    (tmp_path / "b.py").write_text("try:\n    import yaml\nexcept ImportError:\n    pass\n")
    (tmp_path / "c.py").write_text("x = 1\n")
    code, out, _ = run_fix(tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py")
    assert (code, out) == (1, "Fixed 2 findings in 1 file (1 remaining)\n")
    (tmp_path / "b.py").unlink()
    assert run_fix(tmp_path / "a.py", tmp_path / "c.py")[:2] == (0, "Fixed 0 findings in 0 files (0 remaining)\n")
    (tmp_path / "d.py").write_text("import (\n")
    code, _, err = run_fix(tmp_path / "d.py")
    assert code == 2 and "audit: error: " in err and "d.py" in err


def test_a_file_changed_on_disk_after_it_was_read_is_not_written(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "module.py"
    target.write_text("import os\n")
    real_fix_source = audit.fix.fix_source

    def fix_then_edit(path: str, data: bytes, settings: Settings) -> audit.fix.FileFix:
        outcome = real_fix_source(path, data, settings)
        target.write_text("import os\nimport sys  # typed meanwhile\n")
        return outcome

    monkeypatch.setattr(audit.fix, "fix_source", fix_then_edit)
    code, out, err = run_fix(target)
    assert target.read_text() == "import os\nimport sys  # typed meanwhile\n"
    assert code == 2
    assert "module.py: it changed on disk after it was read" in err and err.count("\n") == 1
    assert out == "Fixed 0 findings in 0 files (1 remaining)\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["module.py"]


def _replace_fixes(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Make the producer's fix of the first unused import replace its statement with ``text``."""
    def broken(module, findings):  # type: ignore[no-untyped-def]
        node = module.tree.body[0]
        fix = Fix((Edit(node.col_offset, node.end_col_offset, text),), SAFE, "broken")
        return {finding: fix for finding in findings}

    monkeypatch.setattr(audit.fixes.unused_import, "fixes", broken)


@pytest.mark.parametrize("replacement, problem", [
    ("import (", "does not parse"),
    ("import sys", "leave or add a `unused-import` finding"),
    ("try: pass\nexcept: pass", "leave or add a `silent-except` finding"),
])
def test_a_fix_that_fails_verification_is_not_written(replacement: str, problem: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _replace_fixes(monkeypatch, replacement)
    target = tmp_path / "module.py"
    target.write_text("import os\n")
    code, out, err = run_fix(target, select=["unused-import", "silent-except"])
    assert target.read_text() == "import os\n"
    assert err.startswith("audit: warning: ") and "module.py: " in err and err.count("\n") == 1
    assert problem in err
    assert out == "Fixed 0 findings in 0 files (1 remaining)\n" and code == 1


def test_a_shadowed_import_revealed_by_a_fix_is_fixed_in_a_later_pass(tmp_path: Path) -> None:
    target = tmp_path / "module.py"
    target.write_text("import os\nimport os.path\nimport os\n")
    code, out, _ = run_fix(target)
    assert target.read_text() == ""
    assert (code, out) == (0, "Fixed 1 finding in 1 file (0 remaining)\n")


def test_a_fix_that_reveals_an_unfixable_shadowed_import_is_not_written(tmp_path: Path) -> None:
    source = "try:\n    import yaml\nexcept ImportError:\n    pass\nimport yaml\n"
    target = tmp_path / "module.py"
    target.write_text(source)
    code, _, err = run_fix(target)
    assert target.read_text() == source
    assert "module.py: the fix would leave or add a `unused-import` finding; left unchanged" in err


def test_fixes_are_data_on_findings_only_when_asked() -> None:
    settings = settings_for(ROOT)
    plain = analyse_source("m.py", b"import os\n", settings)
    fixed = analyse_source("m.py", b"import os\n", settings, fixes=True)
    assert plain.findings[0].fix is None and "fix" not in plain.findings[0].to_dict()
    assert fixed.findings[0].fix == Fix((Edit(0, 10, ""),), SAFE, "Remove unused import: `os`")
    assert list(fixed.findings[0].to_dict()["fix"]["edits"]) == [{"start": 0, "end": 10, "text": ""}]


def test_fix_source_leaves_bytes_alone_when_nothing_is_fixable() -> None:
    data = b"import os  # noqa\nx = 1\n"
    assert fix_source("m.py", data, settings_for(ROOT)).fixed is None


def test_the_cli_runs_fix_and_scan_never_imports_libcst(tmp_path: Path) -> None:
    target = tmp_path / "module.py"
    target.write_text("import os\n")
    done = run_audit("fix", "--diff", str(target))
    assert done.returncode == 1 and "-import os" in done.stdout and "Would fix 1 finding" in done.stderr
    done = run_audit("fix", str(target))
    assert (done.returncode, done.stdout, target.read_text()) == (0, "Fixed 1 finding in 1 file (0 remaining)\n", "")
    probe = ("import sys\nfrom audit.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print('libcst' in sys.modules, file=sys.stderr)\n")
    for argv in (["scan", str(target)], ["--help"], ["--version"], ["rules"]):
        done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        assert done.stderr.strip().endswith("False"), (argv, done.stderr)


# -- properties ---------------------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("AUDIT_HYPOTHESIS_EXAMPLES", "40"))
_MODULES = ("alpha", "beta", "gamma.delta", "os.path")
_MEMBERS = ("a", "b", "c", "d")


@st.composite
def _import_statement(draw: st.DrawFn, tag: int) -> str:
    """One import statement whose names all end in ``tag`` (no two statements bind the same name)."""
    module = draw(st.sampled_from(_MODULES)).replace(".", f"{tag}.", 1)
    if "." not in module:
        module += str(tag)
    members = [f"{name}{tag}" for name in draw(st.lists(st.sampled_from(_MEMBERS), min_size=1, max_size=4,
                                                        unique=True))]
    aliases = [f"{name} as {name}x" if draw(st.booleans()) else name for name in members]
    form = draw(st.sampled_from(("import", "from", "parens", "parens-comments", "continuation")))
    if form == "import":
        return f"import {module}" + ("" if draw(st.booleans()) else f" as m{tag}, other{tag}")
    if form == "from":
        return f"from {module} import {', '.join(aliases)}"
    if form == "continuation":
        return f"from {module} import {', '.join(aliases)}".replace(", ", ", \\\n    ")
    comma = "," if draw(st.booleans()) else ""
    notes = [f"  # {name}" if form == "parens-comments" and draw(st.booleans()) else "" for name in aliases]
    items = [f"    {alias},{note}" for alias, note in zip(aliases[:-1], notes[:-1], strict=True)]
    items.append(f"    {aliases[-1]}{comma}{notes[-1]}")
    if form == "parens-comments" and draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), "    # a comment line")
    return f"from {module} import (\n" + "\n".join(items) + "\n)"


@st.composite
def _program(draw: st.DrawFn) -> str:
    """Imports of every form, at module level, in functions, under ``if``, joined by ``;``, some names used."""
    blocks, tag = [], 0
    for _ in range(draw(st.integers(1, 5))):
        statements = []
        for _ in range(draw(st.integers(1, 3))):
            statements.append(draw(_import_statement(tag)))
            tag += 1
        single_line = [statement for statement in statements if "\n" not in statement]
        if len(single_line) > 1 and draw(st.booleans()):
            statements = ["; ".join(single_line)]
        body = "\n".join(statements)
        indented = "\n".join("    " + line for line in body.split("\n"))
        place = draw(st.sampled_from(("module", "def", "if", "try")))
        blocks.append({"module": body, "def": f"def f{tag}():\n{indented}", "if": f"if TYPE_CHECKING:\n{indented}",
                       "try": f"try:\n{indented}\nexcept ImportError:\n    pass"}[place])
    bound = [f"{name}{index}" for index in range(tag) for name in ("a", "bx", "c", "alpha", "gamma", "m", "other")]
    used = draw(st.lists(st.sampled_from([*bound, "TYPE_CHECKING"]), max_size=6))
    return "\n".join(blocks) + "\n" + "".join(f"print({name})\n" for name in used)


def _fixed_text(source: str) -> str | None:
    outcome = fix_source("module.py", source.encode(), settings_for(ROOT))
    assert outcome.error is None
    return None if outcome.fixed is None else outcome.fixed.decode()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_program(), st.sampled_from(["\n", "\r\n"]))
def test_fix_of_import_forms_parses_verifies_and_is_final(source: str, newline: str) -> None:
    source = source.replace("\n", newline)
    assume(_parses(source))
    outcome = fix_source("module.py", source.encode(), settings_for(ROOT))
    assert outcome.problem is None, (outcome.problem, source)
    event("fixed" if outcome.fixed else "nothing to fix")
    if outcome.fixed is None:
        return
    fixed = outcome.fixed.decode()
    ast.parse(fixed)
    assert "\n" not in fixed.replace("\r\n", "") if newline == "\r\n" else "\r" not in fixed
    assert fix_source("module.py", outcome.fixed, settings_for(ROOT)).fixed is None  # idempotent
    left = analyse_source("module.py", outcome.fixed, settings_for(ROOT), fixes=True).findings
    assert not [finding for finding in left if finding.fix is not None]


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _unused_imports(data: bytes) -> list[str] | None:
    result = analyse_source("module.py", data, settings_for(ROOT, select=["unused-import"]))
    return None if result.error else [finding.message for finding in result.findings]


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(hypothesmith.from_grammar(), st.sampled_from(["", "import os\n", "import os, sys\nfrom json import (\n"
                                                        "    dumps,  # c\n    loads,\n)\n"]))
def test_fix_of_generated_programs_parses_and_leaves_clean_files_alone(program: str, imports: str) -> None:
    source = imports + program
    assume(_parses(source))
    data = source.encode("utf-8", "surrogatepass")
    unused = _unused_imports(data)
    assume(unused is not None)
    outcome = fix_source("module.py", data, settings_for(ROOT))
    event("unused imports" if unused else "no unused import")
    if not unused:
        assert outcome.fixed is None and outcome.problem is None
    if outcome.fixed is not None:
        ast.parse(outcome.fixed.decode())


def test_many_files_are_fixed_in_worker_processes_in_order(tmp_path: Path) -> None:
    for index in range(50):
        (tmp_path / f"m{index:02}.py").write_text(f"import os\nimport sys\nprint(sys, {index})\n")
    code, out, err = run_fix(tmp_path, diff=True)
    assert code == 1 and err == "Would fix 50 findings in 50 files (0 remaining)\n"
    assert [line for line in out.splitlines() if line.startswith("--- ")] == [
        f"--- {(tmp_path / f'm{index:02}.py').as_posix()}" for index in range(50)]
    assert run_fix(tmp_path)[:2] == (0, "Fixed 50 findings in 50 files (0 remaining)\n")
    assert all(path.read_text().startswith("import sys\n") for path in tmp_path.glob("*.py"))


def test_a_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    code, out, err = run_fix(tmp_path / "missing.py")
    assert code == 2 and err.startswith("audit: error: ") and err.count("\n") == 1
