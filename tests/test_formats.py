"""Scan and compare formats from one table: SARIF (validated against the official schema), GitHub
annotations, ``--output`` written atomically, ``--statistics``."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

from audit.output import COMPARE_FORMATS, FORMATS, write_atomically
from audit.output.github import escape_data, escape_property
from audit.registry import all_rules
from tests.helpers import FIXTURES, ROOT, run_audit, write

SCHEMA_FILE = FIXTURES / "sarif" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"  # see SOURCE.md there
BAD = "import os\n\n\ndef f():\n    try:\n        pass\n    except Exception:\n        pass\n"


def validate_sarif(document: dict) -> None:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)


def sarif_of(tmp_path: Path, *args: str, code: int = 1) -> dict:
    done = run_audit("scan", "--format", "sarif", *args, ".", cwd=tmp_path)
    assert done.returncode == code, done.stderr
    document = json.loads(done.stdout)
    validate_sarif(document)
    return document


def test_sarif_is_valid_and_carries_rules_regions_and_fingerprints(tmp_path: Path) -> None:
    write(tmp_path, "pkg/train.py", BAD)
    write(tmp_path, "broken.py", "def (:\n")
    document = sarif_of(tmp_path, code=2)
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.name for rule in all_rules()]
    broad_rule = next(rule for rule in all_rules() if rule.name == "broad-except")
    broad = rules[[rule["id"] for rule in rules].index("broad-except")]
    assert broad["shortDescription"]["text"] == broad_rule.summary
    assert broad["fullDescription"]["text"] == broad_rule.rationale
    assert broad["help"]["text"] == broad_rule.advice
    assert broad["helpUri"] == broad_rule.references[0]
    assert all("helpUri" not in rule for rule, source in zip(rules, all_rules(), strict=True) if not source.references)
    findings = json.loads(run_audit("scan", "--format", "json", ".", cwd=tmp_path).stdout)["findings"]
    assert len(run["results"]) == len(findings) == 3
    for result, finding in zip(run["results"], findings, strict=True):
        assert result["ruleId"] == finding["rule"] and rules[result["ruleIndex"]]["id"] == finding["rule"]
        assert result["message"]["text"] == finding["message"] and result["level"] == "warning"
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "pkg/train.py"
        assert location["region"]["startLine"] == finding["line"]
        assert location["region"]["startColumn"] == finding["column"]
        assert location["region"]["endLine"] == finding["end_line"]
        assert location["region"]["endColumn"] == finding["end_column"]
        assert result["partialFingerprints"] == {"auditFingerprint/v1": finding["fingerprint"]}
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notification = invocation["toolExecutionNotifications"][0]
    assert notification["level"] == "error" and "SyntaxError" in notification["message"]["text"]
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"


def test_sarif_of_a_clean_scan_and_of_odd_file_names_is_valid(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "x = 1\n")
    assert sarif_of(tmp_path, code=0)["runs"][0]["results"] == []
    write(tmp_path, "with space/100% ünïcode.py", "import os\n")
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text("import sys\n")
    uris = [result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif_of(tmp_path)["runs"][0]["results"]]
    assert sorted(uris) == ["caf%E9.py", "with%20space/100%25%20%C3%BCn%C3%AFcode.py"]


def test_sarif_validation_catches_a_broken_log(tmp_path: Path) -> None:
    write(tmp_path, "train.py", BAD)
    document = sarif_of(tmp_path)
    del document["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(document)


def test_github_annotations_one_per_finding(tmp_path: Path) -> None:
    write(tmp_path, "train.py", BAD)
    done = run_audit("scan", "--format", "github", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "::warning file=train.py,line=1,endLine=1,col=8,endColumn=10,title=unused-import::"
        "`os` is imported but never used",
        "::warning file=train.py,line=7,endLine=8,col=5,endColumn=13,title=broad-except::"
        "`except Exception` drops every error, bugs included, and carries on",
        "::warning file=train.py,line=7,endLine=8,col=5,endColumn=13,title=silent-except::"
        "`except Exception` hides the error: the handler only passes",
    ]


def test_github_escapes_as_the_actions_toolkit_does(tmp_path: Path) -> None:
    assert escape_data("100%\r\nnext: a, b") == "100%25%0D%0Anext: a, b"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    write(tmp_path, "a,b:c%.py", "import os\n")
    write(tmp_path, "broken.py", "def (:\n")
    lines = run_audit("scan", "--format", "github", ".", cwd=tmp_path).stdout.splitlines()
    assert lines[0].startswith("::warning file=a%2Cb%3Ac%25.py,line=1,")
    assert lines[1] == ("::error file=broken.py,title=audit::line 1, column 5: SyntaxError: invalid syntax")


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_output_file_holds_what_stdout_would(tmp_path: Path, output_format: str) -> None:
    write(tmp_path, "train.py", BAD)
    printed = run_audit("scan", "--format", output_format, ".", cwd=tmp_path)
    written = run_audit("scan", "--format", output_format, "--output", "out/report.txt", ".", cwd=tmp_path)
    assert written.returncode == printed.returncode == 1 and written.stdout == ""
    assert (tmp_path / "out/report.txt").read_text() == printed.stdout
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["report.txt"]  # no temporary file left


def test_write_atomically_keeps_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomically(target, "new ☃ \udce9\n")
    assert target.read_text(encoding="utf-8") == "new ☃ \\udce9\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.json"]


def test_output_to_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    write(tmp_path, "train.py", BAD)
    write(tmp_path, "blocker", "a file, not a folder")
    done = run_audit("scan", "--output", "blocker/out.txt", ".", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("audit: error: cannot write blocker/out.txt")
    assert len(done.stderr.splitlines()) == 1


def test_statistics_counts_per_rule_most_first(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "import os\nimport sys\n")
    write(tmp_path, "b.py", BAD)
    done = run_audit("scan", "--statistics", ".", cwd=tmp_path)
    assert done.returncode == 1
    summaries = {rule.name: rule.summary for rule in all_rules()}
    assert done.stdout.splitlines() == [
        f"3  unused-import  {summaries['unused-import']}",
        f"1  broad-except   {summaries['broad-except']}",
        f"1  silent-except  {summaries['silent-except']}",
    ]
    as_json = json.loads(run_audit("scan", "--statistics", "--format", "json", ".", cwd=tmp_path).stdout)
    assert as_json[0] == {"count": 3, "rule": "unused-import", "summary": summaries["unused-import"]}
    refused = run_audit("scan", "--statistics", "--format", "sarif", ".", cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1


def test_compare_format_choices_come_from_their_table(tmp_path: Path) -> None:
    help_text = run_audit("compare", "--help", cwd=ROOT).stdout
    assert "{" + ",".join(COMPARE_FORMATS) + "}" in help_text
    write(tmp_path, "old/m.py", BAD)
    write(tmp_path, "new/m.py", "x = 1\n")
    for name in COMPARE_FORMATS:
        done = run_audit("compare", "old", "new", "--format", name, "-o", f"cmp.{name}", cwd=tmp_path)
        assert done.returncode == 0 and (tmp_path / f"cmp.{name}").read_text()
    assert json.loads((tmp_path / "cmp.json").read_text())["findings_by_rule"]["after"] == {}
