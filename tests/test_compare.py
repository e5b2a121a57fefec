"""``audit compare``: pairing by relative path, files that cannot be analysed, git revisions read safely."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_audit, run_json

BAD = "import os\n\n\ndef f():\n    try:\n        pass\n    except Exception:\n        pass\n"
GOOD = "def f(x):\n    return x + 1\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def compare_json(*args: str, cwd: Path, code: int = 0) -> dict:
    done = run_audit("compare", *args, "--format", "json", cwd=cwd)
    assert done.returncode == code, done.stderr
    return json.loads(done.stdout)


def test_folders_pair_files_by_relative_path_and_totals_match_the_scans(tmp_path: Path) -> None:
    write(tmp_path, "old/train.py", BAD)
    write(tmp_path, "old/pkg/util.py", BAD + "import sys\n")
    write(tmp_path, "old/gone.py", "import json\n")
    write(tmp_path, "new/train.py", GOOD)
    write(tmp_path, "new/pkg/util.py", BAD)
    write(tmp_path, "new/added.py", GOOD)
    document = compare_json("old", "new", cwd=tmp_path)
    files = {item["path"]: item for item in document["files"]}
    assert sorted(files) == ["added.py", "gone.py", "pkg/util.py", "train.py"]
    assert files["train.py"]["before_path"] == "old/train.py" and files["train.py"]["after_path"] == "new/train.py"
    assert files["gone.py"]["after"] is None and files["added.py"]["before"] is None
    assert files["pkg/util.py"]["before"]["findings"] == 4 and files["pkg/util.py"]["after"]["findings"] == 3
    for side, folder in (("before", "old"), ("after", "new")):
        _, scanned = run_json(folder, cwd=tmp_path)
        assert document["total"][side]["findings"] == len(scanned["findings"])
        assert document["files_analysed"][side] == scanned["files_scanned"] == 3


def test_before_after_with_several_roots_pairs_by_name_below_each_root(tmp_path: Path) -> None:
    write(tmp_path, "legacy/train.py", BAD)
    write(tmp_path, "shared/data.py", GOOD)
    write(tmp_path, "pkg/train.py", GOOD)
    write(tmp_path, "pkg/data.py", GOOD)
    document = compare_json("--before", "legacy/train.py", "shared", "--after", "pkg", cwd=tmp_path)
    files = {item["path"]: item for item in document["files"]}
    assert sorted(files) == ["data.py", "train.py"]
    assert files["data.py"]["before_path"] == "shared/data.py" and files["data.py"]["after_path"] == "pkg/data.py"


def test_a_name_two_roots_share_keeps_its_full_path(tmp_path: Path) -> None:
    write(tmp_path, "a/__init__.py", "")
    write(tmp_path, "b/__init__.py", "")
    write(tmp_path, "c/__init__.py", "")
    document = compare_json("--before", "a", "b", "--after", "c", cwd=tmp_path)
    assert sorted(item["path"] for item in document["files"]) == ["__init__.py", "a/__init__.py", "b/__init__.py"]


def test_two_single_files_are_paired(tmp_path: Path) -> None:
    write(tmp_path, "a.py", BAD)
    write(tmp_path, "b.py", GOOD)
    document = compare_json("a.py", "b.py", cwd=tmp_path)
    (item,) = document["files"]
    assert item["path"] == "a.py → b.py" and item["before"]["findings"] == 3 and item["after"]["findings"] == 0


def test_a_file_that_cannot_be_analysed_is_reported_and_exits_2(tmp_path: Path) -> None:
    write(tmp_path, "good.py", BAD)
    write(tmp_path, "broken.py", "def (:\n")
    document = compare_json("good.py", "broken.py", cwd=tmp_path, code=2)
    assert document["errors"]["after"] == [{"path": "good.py → broken.py",
                                            "message": "line 1, column 5: SyntaxError: invalid syntax"}]
    assert document["files_analysed"] == {"before": 1, "after": 0}
    assert document["files"][0]["after_error"].startswith("line 1")
    for output_format, marker in (("text", "Files that could not be analysed:"),
                                  ("markdown", "### Files that could not be analysed")):
        done = run_audit("compare", "good.py", "broken.py", "--format", output_format, cwd=tmp_path)
        assert done.returncode == 2 and marker in done.stdout and "broken.py" in done.stdout
        assert "files not analysed" in done.stdout and "comparison is incomplete" in done.stdout
        assert done.stderr.strip().splitlines() == [
            "audit: error: broken.py (after): line 1, column 5: SyntaxError: invalid syntax"]


def test_a_broken_file_in_a_folder_shows_in_its_row(tmp_path: Path) -> None:
    write(tmp_path, "old/m.py", "x = (\n")
    write(tmp_path, "new/m.py", GOOD)
    done = run_audit("compare", "old", "new", cwd=tmp_path)
    assert done.returncode == 2
    row = next(line for line in done.stdout.splitlines() if line.startswith("m.py"))
    assert "error → 2" in row


@pytest.mark.parametrize("args", [["old"], ["--before", "old"], ["--before", "old", "--after", "new", "x"],
                                  ["old", "missing"], ["--git", "HEAD"], ["--git", "A", "B", "--before", "old"]])
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, "old/m.py", GOOD)
    write(tmp_path, "new/m.py", GOOD)
    done = run_audit("compare", *args, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 or done.stderr.startswith("usage:")


# --- git ------------------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    write(tmp_path, "src/train.py", BAD)
    write(tmp_path, "src/old.py", GOOD)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    write(tmp_path, "src/train.py", GOOD)
    (tmp_path / "src/old.py").unlink()
    write(tmp_path, "src/new.py", "def (:\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "two")
    return tmp_path


def test_git_pairs_files_and_reports_unanalysable_ones(repo: Path) -> None:
    document = compare_json("--git", "HEAD~1", "HEAD", cwd=repo, code=2)
    files = {item["path"]: item for item in document["files"]}
    assert sorted(files) == ["src/new.py", "src/old.py", "src/train.py"]
    assert files["src/old.py"]["after"] is None and files["src/new.py"]["after_error"].startswith("line 1")
    assert document["total"]["before"]["findings"] == 3 and document["total"]["after"]["findings"] == 0
    below = compare_json("--git", "HEAD~1", "HEAD", "src/train.py", cwd=repo)
    assert [item["path"] for item in below["files"]] == ["train.py"]


def test_git_keys_are_relative_to_the_named_folder(repo: Path) -> None:
    document = compare_json("--git", "HEAD~1", "HEAD", "src", cwd=repo, code=2)
    assert sorted(item["path"] for item in document["files"]) == ["new.py", "old.py", "train.py"]


def test_git_path_in_neither_revision_is_an_error(repo: Path) -> None:
    assert compare_json("--git", "HEAD~1", "HEAD", "src/old.py", cwd=repo)["files"][0]["after"] is None
    done = run_audit("compare", "--git", "HEAD~1", "HEAD", "nowhere", cwd=repo)
    assert done.returncode == 2 and done.stderr == "audit: error: nowhere: in neither HEAD~1 nor HEAD\n"


@pytest.mark.parametrize("revision", ["no-such-rev", "-1", "", "HEAD..HEAD~1", "HEAD:src/train.py",
                                      "after", "../x", "HEAD^{blob}"])
def test_odd_revision_names_are_one_line_errors(repo: Path, revision: str) -> None:
    write(repo, "after/x.py", GOOD)  # a folder named like a revision must not matter
    done = run_audit("compare", "--git", "HEAD", revision, cwd=repo)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (repo / "x").exists()


def test_revision_named_like_a_folder_is_read_as_the_revision(repo: Path) -> None:
    git(repo, "branch", "after", "HEAD~1")
    write(repo, "after/x.py", GOOD)
    document = compare_json("--git", "after", "HEAD", "src/train.py", cwd=repo)
    assert document["total"]["before"]["findings"] == 3


def test_git_outside_a_repository_is_a_one_line_error(tmp_path: Path) -> None:
    done = run_audit("compare", "--git", "HEAD~1", "HEAD", cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_git_runs_no_program_the_repository_configures(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    markers = tmp_path_factory.mktemp("markers")
    hook = markers / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {markers}/ran-$1\ncat\n")
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", f"{hook} fsmonitor")
    git(repo, "config", "filter.evil.smudge", f"{hook} smudge")
    git(repo, "config", "filter.evil.clean", "cat")
    git(repo, "config", "diff.evil.textconv", f"{hook} textconv")
    write(repo, ".gitattributes", "*.py filter=evil diff=evil\n")
    git(repo, "-c", "core.fsmonitor=false", "add", ".gitattributes")
    git(repo, "-c", "core.fsmonitor=false", "commit", "-qm", "attributes")
    assert list(markers.glob("ran-*")) == []
    done = run_audit("compare", "--git", "HEAD~2", "HEAD", cwd=repo)
    assert done.returncode == 2 and "src/train.py" in done.stdout, done.stderr
    assert list(markers.glob("ran-*")) == []


def test_undecodable_file_names_are_shown_escaped(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text(BAD)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    done = run_audit("compare", "--git", "HEAD", "HEAD", cwd=tmp_path)
    assert done.returncode == 0 and "caf\\udce9.py" in done.stdout and "Traceback" not in done.stderr


def test_overlapping_roots_count_each_file_once(tmp_path: Path) -> None:
    write(tmp_path, "old/m.py", BAD)
    write(tmp_path, "old/sub/n.py", BAD)
    write(tmp_path, "new/m.py", GOOD)
    document = compare_json("--before", "old", "old/sub", "old", "--after", "new", cwd=tmp_path)
    assert document["files_analysed"]["before"] == 2 and document["total"]["before"]["findings"] == 6
    assert sorted(item["path"] for item in document["files"]) == ["m.py", "sub/n.py"]


def test_git_paths_are_relative_to_the_current_directory(repo: Path) -> None:
    document = compare_json("--git", "HEAD~1", "HEAD", ".", cwd=repo / "src", code=2)
    assert sorted(item["path"] for item in document["files"]) == ["new.py", "old.py", "train.py"]
    assert {item["before_path"] for item in document["files"]} == {"src/old.py", "src/train.py", None}
