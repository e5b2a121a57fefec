"""The baseline: record today's findings, then fail only on new ones; stale entries are reported, never rewritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_audit, write

TRAIN = '''import os


def load(path):
    try:
        return open(path).read()
    except Exception:
        pass


def save(model, path):
    global LAST
    LAST = path
'''


def check(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    done = run_audit("scan", "--baseline", "baseline.json", "--format", "json", *args, cwd=tmp_path)
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.fixture
def adopted(tmp_path: Path) -> Path:
    write(tmp_path, "src/train.py", TRAIN)
    write(tmp_path, "src/other.py", "def helper():\n    return 1\n")
    done = run_audit("scan", "--write-baseline", "baseline.json", "src", cwd=tmp_path)
    assert done.returncode == 0 and "broad-except" in done.stdout  # the findings are still shown
    assert done.stderr == "audit: recorded 4 findings in the baseline baseline.json\n"
    return tmp_path


def test_the_baseline_file_is_sorted_stable_and_line_free(adopted: Path) -> None:
    text = (adopted / "baseline.json").read_text()
    document = json.loads(text)
    assert document["version"] == 1 and len(document["findings"]) == 4
    assert [entry["rule"] for entry in document["findings"]] == sorted(entry["rule"] for entry in document["findings"])
    assert all("line" not in entry for entry in document["findings"])
    write(adopted, "src/train.py", "# a comment\n\n" + TRAIN)
    assert run_audit("scan", "--write-baseline", "baseline.json", "src", cwd=adopted).returncode == 0
    assert (adopted / "baseline.json").read_text() == text


def test_a_check_passes_and_hides_known_findings(adopted: Path) -> None:
    code, document, stderr = check(adopted, "src")
    assert (code, document["findings"], stderr) == (0, [], "")
    assert document["baseline"] == {"path": "baseline.json", "known": 4, "stale": []}


def test_identity_survives_inserted_lines_and_renamed_unrelated_code(adopted: Path) -> None:
    edited = ("import sys\n\nVERSION = sys.version\n\n\ndef renamed_helper_above():\n    return 2\n\n\n"
              + TRAIN.replace("def save(model, path)", "def save(network, path)"))
    write(adopted, "src/train.py", edited)
    write(adopted, "src/other.py", "def renamed():\n    return 1\n")
    code, document, _ = check(adopted, "src")
    assert (code, document["findings"], document["baseline"]["stale"]) == (0, [], [])


def test_a_new_finding_fails_and_only_it_is_shown(adopted: Path) -> None:
    write(adopted, "src/train.py", TRAIN + "\n\ndef reset():\n    global LAST\n    LAST = None\n")
    code, document, _ = check(adopted, "src")
    assert code == 1 and [(item["rule"], item["symbol"]) for item in document["findings"]] == [
        ("global-statement", "reset")]
    text = run_audit("scan", "--baseline", "baseline.json", "src", cwd=adopted)
    assert text.returncode == 1 and "Found 1 finding" in text.stdout and "broad-except" not in text.stdout


def test_stale_entries_are_reported_and_the_file_is_never_rewritten(adopted: Path) -> None:
    before = (adopted / "baseline.json").read_bytes()
    write(adopted, "src/train.py", TRAIN.replace("import os\n", "").replace("    except Exception:\n        pass\n",
                                                                           "    finally:\n        pass\n"))
    code, document, stderr = check(adopted, "src")
    assert code == 0 and document["findings"] == []
    assert sorted(entry["rule"] for entry in document["baseline"]["stale"]) == [
        "broad-except", "silent-except", "unused-import"]
    assert stderr.splitlines() == [
        "audit: warning: 3 entries of the baseline baseline.json no longer match a finding (fixed?): "
        "run `audit scan --write-baseline baseline.json` to drop them"]
    assert (adopted / "baseline.json").read_bytes() == before
    done = run_audit("scan", "--baseline", "baseline.json", "--write-baseline", "baseline.json", "src", cwd=adopted)
    assert done.returncode == 2 and (adopted / "baseline.json").read_bytes() == before


def test_entries_outside_the_scan_are_not_stale(adopted: Path) -> None:
    code, document, stderr = check(adopted, "src/other.py")
    assert (code, document["baseline"]["stale"], stderr) == (0, [], "")
    code, document, _ = check(adopted, "--select", "global-statement", "src")
    assert (code, document["baseline"]["stale"]) == (0, [])


def test_multiset_two_identical_findings_one_known_is_one_new(tmp_path: Path) -> None:
    write(tmp_path, "m.py", "def f():\n    global a\n    a = 1\n")
    assert run_audit("scan", "--write-baseline", "baseline.json", ".", cwd=tmp_path).returncode == 0
    write(tmp_path, "m.py", "def f():\n    global a\n    global a\n    a = 1\n")
    code, document, _ = check(tmp_path, ".")
    assert code == 1 and [item["rule"] for item in document["findings"]] == ["global-statement"]
    assert document["baseline"]["known"] == 1 and document["baseline"]["stale"] == []


def test_a_duplicated_entry_matches_one_finding_each(tmp_path: Path) -> None:
    write(tmp_path, "m.py", "def f():\n    global a\n    a = 1\n")
    run_audit("scan", "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    document = json.loads((tmp_path / "baseline.json").read_text())
    document["findings"] *= 2
    (tmp_path / "baseline.json").write_text(json.dumps(document))
    code, result, stderr = check(tmp_path, ".")
    assert code == 0 and result["baseline"]["known"] == 1 and len(result["baseline"]["stale"]) == 1
    assert "1 entry of the baseline" in stderr


@pytest.mark.parametrize("content, message", [
    (None, "baseline baseline.json does not exist"),
    ("{", "baseline baseline.json is not valid JSON"),
    ("[]", "is not an audit baseline"),
    ('{"version": 1, "findings": [{"rule": "x"}]}', "must be a list of entries"),
    (b"\xff\xfe", "is not valid JSON"),
])
def test_a_missing_or_corrupt_baseline_is_one_line_exit_2(tmp_path: Path, content: str | bytes | None,
                                                          message: str) -> None:
    write(tmp_path, "m.py", "import os\n")
    if isinstance(content, bytes):
        (tmp_path / "baseline.json").write_bytes(content)
    elif content is not None:
        (tmp_path / "baseline.json").write_text(content)
    done = run_audit("scan", "--baseline", "baseline.json", ".", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("audit: error: ") and message in done.stderr


def test_sarif_marks_baseline_results_new(adopted: Path) -> None:
    write(adopted, "src/extra.py", "import json\n")
    done = run_audit("scan", "--baseline", "baseline.json", "--format", "sarif", "src", cwd=adopted)
    results = json.loads(done.stdout)["runs"][0]["results"]
    assert done.returncode == 1 and [(item["ruleId"], item["baselineState"]) for item in results] == [
        ("unused-import", "new")]
