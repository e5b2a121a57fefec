"""Finding fingerprints: the identity a baseline and SARIF use, stable across unrelated edits."""

from __future__ import annotations

from pathlib import Path

from audit.config import settings_from_table
from audit.engine import analyse_source, scan
from audit.model import Finding

SETTINGS = settings_from_table({"max-function-lines": 6}, root=Path("."), source=None)

PROGRAM = '''import os


def helper(x):
    return x + 1


class Loader:
    def load(self, path):
        try:
            return open(path).read()
        except Exception:
            pass

    def train(self, cfg):
        a = 1
        b = 2
        c = 3
        d = 4
        e = 5
        return a + b + c + d + e
'''


def prints(source: str, path: str = "m.py") -> dict[tuple[str, str | None], str]:
    findings = analyse_source(path, source.encode(), SETTINGS).findings
    assert all(finding.fingerprint for finding in findings)
    return {(finding.rule, finding.message): finding.fingerprint for finding in findings}


def test_every_finding_has_a_distinct_fingerprint() -> None:
    found = prints(PROGRAM)
    assert {rule for rule, _ in found} >= {"unused-import", "broad-except", "silent-except", "long-function"}
    assert len(set(found.values())) == len(found)


def test_inserted_lines_above_change_nothing() -> None:
    moved = PROGRAM.replace("import os\n", "import os\n\nCONSTANT = 3\n\n\ndef another():\n    return CONSTANT\n")
    assert prints(moved) == prints(PROGRAM)


def test_renamed_unrelated_code_and_reindented_whitespace_change_nothing() -> None:
    renamed = PROGRAM.replace("def helper(x):\n    return x + 1", "def renamed_helper(y):\n    return y * 2")
    spaced = PROGRAM.replace("return open(path).read()", "return open( path ).read()")
    assert prints(renamed) == prints(PROGRAM)
    assert prints(spaced.replace("open( path )", "open(path)")) == prints(PROGRAM)


def test_editing_a_long_functions_body_keeps_its_identity() -> None:
    edited = PROGRAM.replace("c = 3\n", "c = 30\n        c += 1\n")
    assert sorted(prints(edited).values()) == sorted(prints(PROGRAM).values())  # the message says 8 lines, not 7


def test_rule_file_symbol_and_code_each_take_part() -> None:
    base = prints(PROGRAM)
    assert set(prints(PROGRAM, "other.py").values()).isdisjoint(base.values())
    moved_method = prints(PROGRAM.replace("def load(self", "def fetch(self"))
    broad = next(key for key in base if key[0] == "broad-except")
    assert moved_method[broad] != base[broad]  # another enclosing symbol
    narrowed_code = prints(PROGRAM.replace("except Exception:", "except BaseException:"))
    assert not any(value == base[broad] for value in narrowed_code.values())


def test_identical_code_in_one_symbol_is_told_apart_by_order() -> None:
    source = "def f():\n    global a\n    global a\n"
    first, second = analyse_source("m.py", source.encode(), SETTINGS).findings
    assert first.rule == second.rule == "global-statement" and first.fingerprint != second.fingerprint
    shifted = analyse_source("m.py", ("\n" + source).encode(), SETTINGS).findings
    assert [finding.fingerprint for finding in shifted] == [first.fingerprint, second.fingerprint]


def test_fingerprint_takes_no_part_in_equality() -> None:
    finding = analyse_source("m.py", b"import os\n", SETTINGS).findings[0]
    assert finding == Finding(**{**finding.to_dict(), "fingerprint": None})


def test_project_rule_findings_have_fingerprints(tmp_path: Path) -> None:
    (tmp_path / "model_OLD.py").write_text("x = 1\n")
    (tmp_path / "model.py").write_text("x = 1\n")
    result = scan([tmp_path], SETTINGS, root=tmp_path)
    backup = [finding for finding in result.findings if finding.rule == "backup-file"]
    assert backup and all(finding.fingerprint for finding in backup)


def test_a_class_body_finding_belongs_to_its_class() -> None:
    source = "import sys\n\n\nclass Other:\n    pass\n\n\nclass Config:\n    sys.path.insert(0, 'lib')\n"

    def side_effect(text: str) -> str:
        found = analyse_source("m.py", text.encode(), SETTINGS).findings
        return next(finding.fingerprint for finding in found if finding.rule == "import-time-side-effect")

    assert side_effect(source) == side_effect(source.replace("class Other", "class Renamed"))
    assert side_effect(source) != side_effect(source.replace("class Config", "class Settings"))
