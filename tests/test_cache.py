"""The scan cache: hits equal fresh results, every input that matters invalidates, damage is survived."""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit
from audit import cache as cache_module
from audit import engine
from audit.cache import CACHE_DIR_NAME, CACHEDIR_TAG, Cache, load_settings
from audit.cli import main
from audit.config import settings_from_table
from audit.discovery import display_path
from audit.engine import scan
from audit.progress import terminal_progress
from tests.helpers import FIXTURES, ROOT, run_audit


@pytest.fixture
def default_location(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache where users get it (the conftest points every other test elsewhere)."""
    monkeypatch.delenv(cache_module.ENV_CACHE_DIR, raising=False)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_location: None) -> Path:
    """A project of the rule and project-rule fixtures plus the reference trainers (Hydra YAML included)."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "rules", project / "rules")
    shutil.copytree(FIXTURES / "projects", project / "projects")
    shutil.copytree(ROOT / "reference_trainers", project / "reference_trainers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (project / "pyproject.toml").write_text("[tool.audit]\n")
    monkeypatch.chdir(project)
    return project


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = run_main(capsys, "scan", "--format", "json", *args)
    assert code in (0, 1), err
    return json.loads(out)


class ParseCounter:
    """Counts the files the engine parses."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = engine.parse

        def counting(path: str, data: bytes):  # type: ignore[no-untyped-def]
            self.calls += 1
            return original(path, data)

        monkeypatch.setattr(engine, "parse", counting)


def index_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("scan-*"))


def test_a_warm_scan_is_the_fresh_scan_and_parses_nothing(tree: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = scan_json(capsys, "--no-cache", "--jobs", "1", ".")
    assert not (tree / CACHE_DIR_NAME).exists()
    assert {finding["rule"] for finding in fresh["findings"]} >= {"duplicate-code", "unused-config-key",
                                                                  "backup-file", "silent-except"}
    cold = scan_json(capsys, "--jobs", "1", ".")
    counter = ParseCounter(monkeypatch)
    warm = scan_json(capsys, ".")
    assert fresh == cold == warm
    assert counter.calls == 0


def test_cached_results_equal_fresh_ones_field_by_field(tree: Path) -> None:
    """Beyond the JSON: related spans, extra suppression lines, metrics (as ``audit report`` measures)."""
    settings, cache = load_settings(None, tree)
    for measure in (False, True):
        fresh = scan([tree], settings, jobs=1, measure=measure)
        cold = scan([tree], settings, jobs=1, measure=measure, cache=cache)
        warm = scan([tree], settings, jobs=1, measure=measure, cache=Cache(cache.folder))
        assert fresh == cold == warm
        assert bool(warm.metrics) == measure


def test_the_cache_folder_at_the_project_root(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "rules" / "sub").mkdir()
    run_main(capsys, "scan", "rules/sub", "rules/broad-except")  # the common folder's project root: tree
    folder = tree / CACHE_DIR_NAME
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
    assert (folder / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    assert len(index_files(folder)) == 1 and not list(tree.rglob("*.tmp"))


def test_git_does_not_see_the_cache_and_discovery_skips_it(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    scan_json(capsys, ".")
    (tree / CACHE_DIR_NAME / "planted.py").write_text("try:\n    pass\nexcept Exception:\n    pass\n")
    again = scan_json(capsys, ".")
    assert not any(CACHE_DIR_NAME in finding["path"] for finding in again["findings"])
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tree,
                            capture_output=True, text=True, check=True).stdout
    assert "rules/" in status and CACHE_DIR_NAME not in status


def test_no_cache_writes_nothing(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_main(capsys, "scan", "--no-cache", ".")
    run_main(capsys, "report", "--no-cache", "rules/broad-except")
    assert not (tree / CACHE_DIR_NAME).exists()


def test_cache_dir_setting_and_environment(tree: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / "pyproject.toml").write_text('[tool.audit]\ncache-dir = "build/audit-cache"\n')
    run_main(capsys, "scan", "rules/broad-except")
    assert index_files(tree / "build" / "audit-cache") and not (tree / CACHE_DIR_NAME).exists()
    monkeypatch.setenv(cache_module.ENV_CACHE_DIR, str(tree / "elsewhere"))
    run_main(capsys, "scan", "rules/broad-except")
    assert index_files(tree / "elsewhere")
    (tree / "pyproject.toml").write_text("[tool.audit]\ncache-dir = 3\n")
    code, _, err = run_main(capsys, "scan", "rules/broad-except")
    assert code == 2 and "`cache-dir` must be a string" in err


def test_editing_a_file_invalidates_it_even_with_size_and_mtime_kept(tree: Path, capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tree / "edited.py"
    target.write_text("def f():\n    try:\n        pass\n    except Exception:\n        pass\n")
    first = scan_json(capsys, "edited.py")
    assert [finding["rule"] for finding in first["findings"]] == ["broad-except", "silent-except"]
    info = target.stat()
    target.write_text("def f():\n    try:\n        pass\n    except OSError:\n        pass\n  ")
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert target.stat().st_size == info.st_size and target.stat().st_mtime_ns == info.st_mtime_ns
    counter = ParseCounter(monkeypatch)
    second = scan_json(capsys, "edited.py")
    assert counter.calls == 1
    assert second == scan_json(capsys, "--no-cache", "edited.py")
    assert [finding["rule"] for finding in second["findings"]] == ["silent-except"]


def test_stat_data_of_a_just_written_file_is_not_trusted(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit in the same timestamp tick as the scan that cached the file must still be seen."""
    target = tree / "racy.py"
    target.write_text("x = 1\n")
    settings, cache = load_settings(None, tree)
    monkeypatch.setattr(cache_module, "_RACY_NS", 3600 * 10**9)  # "moments ago", however slow this machine is
    scan([target], settings, cache=cache)
    [entry] = Cache(cache.folder).index(settings, False, None).entries.values()
    assert entry[0] is None  # the file changed moments ago: its stat data is not recorded
    monkeypatch.setattr(cache_module, "_RACY_NS", 0)
    scan([target], settings, cache=Cache(cache.folder))
    scan([target], settings, cache=Cache(cache.folder))  # a hit by content: now the stat data is recorded
    [entry] = Cache(cache.folder).index(settings, False, None).entries.values()
    assert entry[0] is not None


@pytest.mark.parametrize("change", [
    ("--select", "silent-except"),
    ("--ignore", "silent-except"),
    ("pyproject", '[tool.audit]\nmax-function-lines = 3\n'),
    ("pyproject", '[tool.audit]\nper-file-ignores = { "rules/**" = ["silent-except"] }\n'),
])
def test_changing_a_setting_invalidates(tree: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str]
                                        ) -> None:
    scan_json(capsys, "rules")
    before = scan_json(capsys, "rules")
    option, value = change
    args = ["rules"] if option == "pyproject" else [option, value, "rules"]
    if option == "pyproject":
        (tree / "pyproject.toml").write_text(value)
    after = scan_json(capsys, *args)
    assert after != before
    assert after == scan_json(capsys, "--no-cache", *args)


def test_a_new_audit_version_invalidates(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, cache = load_settings(None, tree / "rules")
    scan([tree / "rules"], settings, jobs=1, cache=cache)
    counter = ParseCounter(monkeypatch)
    scan([tree / "rules"], settings, jobs=1, cache=Cache(cache.folder))
    assert counter.calls == 0
    monkeypatch.setattr(audit, "__version__", "99.0.0")
    scan([tree / "rules"], settings, jobs=1, cache=Cache(cache.folder))
    assert counter.calls == len(list((tree / "rules").rglob("*.py")))


def test_an_edited_audit_source_invalidates(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Developers edit rules without bumping the version: the stamp covers the audit's own files."""
    settings, cache = load_settings(None, tree / "rules")
    scan([tree / "rules"], settings, jobs=1, cache=cache)
    monkeypatch.setattr(cache_module, "_SOURCE_STAMP", ["an edited checkout"])
    counter = ParseCounter(monkeypatch)
    scan([tree / "rules"], settings, jobs=1, cache=Cache(cache.folder))
    assert counter.calls > 0


def _damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _damage_flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _damage_garbage(path: Path) -> None:
    path.write_bytes(b"\x00garbage" * 100)


def _damage_empty(path: Path) -> None:
    path.write_bytes(b"")


def _damage_wrong_shape(path: Path) -> None:
    """Intact and signed, but not an index: a list where the entries should be."""
    path.write_bytes(cache_module._encode((cache_module.code_stamp(), ("not", ["an", "index"]))))


def _damage_wrong_entries(path: Path) -> None:
    """Intact and signed, the right outline, entries of the wrong shape."""
    path.write_bytes(cache_module._encode((cache_module.code_stamp(), (5, {"projects/x.py": (1, 2)}))))


@pytest.mark.parametrize("damage", [_damage_truncate, _damage_flip, _damage_garbage, _damage_empty,
                                    _damage_wrong_shape, _damage_wrong_entries])
def test_a_damaged_index_is_ignored_and_rewritten(tree: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch, damage) -> None:  # type: ignore[no-untyped-def]
    fresh = scan_json(capsys, "--no-cache", "projects")
    scan_json(capsys, "projects")
    [index] = index_files(tree / CACHE_DIR_NAME)
    damage(index)
    assert scan_json(capsys, "projects") == fresh
    counter = ParseCounter(monkeypatch)
    assert scan_json(capsys, "projects") == fresh
    assert counter.calls == 0  # rewritten whole: the next scan is warm again


def test_a_damaged_settings_entry_is_ignored(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = scan_json(capsys, "--no-cache", "rules")
    scan_json(capsys, "rules")
    for entry in (tree / CACHE_DIR_NAME).glob("settings-*"):
        _damage_flip(entry)
    assert scan_json(capsys, "rules") == fresh


def test_a_planted_index_cannot_run_code(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cache file is data: one crafted to call a function is refused, even with a valid digest and stamp."""
    scan_json(capsys, "rules/broad-except")
    [index] = index_files(tree / CACHE_DIR_NAME)
    marker = tree / "pwned"

    class Exploit:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps((cache_module.code_stamp(), (None, {"x.py": Exploit()})))
    index.write_bytes(cache_module._MAGIC + cache_module._digest(payload) + payload)
    fresh = scan_json(capsys, "--no-cache", "rules/broad-except")
    assert scan_json(capsys, "rules/broad-except") == fresh
    assert not marker.exists()
    with pytest.raises(ValueError, match="may not load"):
        cache_module._decode(cache_module._MAGIC + cache_module._digest(payload) + payload)


def test_only_plain_data_is_loaded() -> None:
    """Functions and classes with behaviour, the audit's own included, are refused; data classes load."""
    from audit.model import Finding

    def blob(value: object) -> bytes:
        payload = pickle.dumps(value)
        return cache_module._MAGIC + cache_module._digest(payload) + payload

    finding = Finding("rule", "x.py", 1, 1, 1, "message", related=(1, 2))
    assert cache_module._decode(blob((finding, {frozenset({1}), Path("a")}))) == (finding, {frozenset({1}), Path("a")})
    for refused in (main, Cache(Path("unused")), print, os.system):
        with pytest.raises(ValueError, match="may not load"):
            cache_module._decode(blob(refused))


def test_an_unpicklable_result_costs_the_cache_not_the_scan(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, cache = load_settings(None, tree / "rules")
    fresh = scan([tree / "rules"], settings, jobs=1)
    monkeypatch.setattr(engine, "collect_facts", lambda module, settings, rules: {"odd": lambda: None})
    assert scan([tree / "rules"], settings, jobs=1, cache=cache) == fresh
    assert cache.problem is not None and cache.problem.startswith("cannot cache the results:")


def test_an_unwritable_cache_warns_once_and_the_scan_completes(tree: Path, capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    (tree / "blocker").write_text("a file where the cache folder should go\n")
    (tree / "pyproject.toml").write_text('[tool.audit]\ncache-dir = "blocker/cache"\n')
    fresh = scan_json(capsys, "--no-cache", "projects")
    code, out, err = run_main(capsys, "scan", "--format", "json", "projects")
    assert json.loads(out) == fresh and code == 1
    assert err.count("audit: warning:") == 1 and "cannot write the cache in blocker/cache" in err


def test_two_scans_at_once_both_succeed_and_leave_a_valid_cache(tree: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    fresh = scan_json(capsys, "--no-cache", ".")
    command = [sys.executable, "-m", "audit", "scan", "--format", "json", "--jobs", "2", "."]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.Popen(command, cwd=tree, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 1 and "warning" not in err, err
        assert json.loads(out) == fresh
    [index] = index_files(tree / CACHE_DIR_NAME)
    assert cache_module._decode(index.read_bytes())  # intact: digest and contents
    assert not list((tree / CACHE_DIR_NAME).glob("*.tmp"))
    counter = ParseCounter(monkeypatch)
    assert scan_json(capsys, ".") == fresh
    assert counter.calls == 0


def test_a_warm_scan_imports_neither_the_rules_nor_radon(tree: Path) -> None:
    """Only the project rules, which run on every scan (reading the YAML configs afresh: yaml is expected)."""
    probe = ("import sys; from audit.cli import main; code = main(['scan', '--format', 'concise', '.']);"
             "heavy = sorted(name for name in sys.modules if name in ('radon', 'rich') "
             "or name.startswith('audit.rules.') and name not in ("
             "'audit.rules.backup_file', 'audit.rules.duplicate_code', 'audit.rules.undefined_config_key', "
             "'audit.rules.unused_config_key'));"
             "print('HEAVY', heavy)")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop(cache_module.ENV_CACHE_DIR, None)
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=tree, env=environment, capture_output=True, text=True,
                           check=True).stdout.splitlines()[-1] for _ in range(2)]
    assert runs[0] != "HEAVY []"  # the cold scan needed them
    assert runs[1] == "HEAVY []"


def test_measure_imports_is_measured_afresh_on_a_warm_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.audit]\nheavy-modules = ["stand_in"]\n')
    (tmp_path / "stand_in.py").write_text("x = 1\n")
    (tmp_path / "app.py").write_text('import argparse\nimport stand_in\n\nif __name__ == "__main__":\n'
                                     '    argparse.ArgumentParser().parse_args()\n')
    monkeypatch.chdir(tmp_path)
    args = ("--select", "heavy-module-import", "--measure-imports", "app.py")
    [first] = scan_json(capsys, *args)["findings"]
    assert first["message"].count("measured:") == 1
    (tmp_path / "stand_in.py").write_text("raise RuntimeError('changed since')\n")
    [second] = scan_json(capsys, *args)["findings"]
    assert "measured:" not in second["message"] and second["message"].endswith("RuntimeError: changed since")


def test_audit_clean(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "clean")
    assert code == 0 and out == f"No cache at {CACHE_DIR_NAME}\n"
    run_main(capsys, "scan", "rules")
    code, out, _ = run_main(capsys, "clean")
    assert code == 0 and out.startswith(f"Removed {CACHE_DIR_NAME} (") and out.endswith(" kB)\n")
    assert not (tree / CACHE_DIR_NAME).exists()
    (tree / "pyproject.toml").write_text('[tool.audit]\ncache-dir = "rules"\n')
    code, _, err = run_main(capsys, "clean")
    assert code == 2 and "rules is not an audit cache" in err and (tree / "rules").is_dir()


def test_a_cache_dir_naming_a_project_folder_is_never_written_nor_removed(tree: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`cache-dir = "."` by mistake: the scan works, warns once, and neither the scan nor `clean` touches the files."""
    (tree / "pyproject.toml").write_text('[tool.audit]\ncache-dir = "rules"\n')
    before = sorted(path.relative_to(tree) for path in (tree / "rules").rglob("*"))
    fresh = scan_json(capsys, "--no-cache", "rules")
    code, out, err = run_main(capsys, "scan", "--format", "json", "rules")
    assert json.loads(out) == fresh and err.count("audit: warning:") == 1
    assert "the cache folder rules holds other files and no CACHEDIR.TAG" in err
    code, _, err = run_main(capsys, "clean")
    assert code == 2 and "rules is not an audit cache" in err
    assert sorted(path.relative_to(tree) for path in (tree / "rules").rglob("*")) == before


def test_audit_clean_leaves_a_cache_folder_that_holds_other_files(tree: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run_main(capsys, "scan", "rules/broad-except")
    (tree / CACHE_DIR_NAME / "notes.txt").write_text("mine\n")
    code, _, err = run_main(capsys, "clean")
    assert code == 2 and "holds files the audit did not write (notes.txt)" in err
    assert (tree / CACHE_DIR_NAME / "notes.txt").exists()


def test_audit_clean_in_a_subprocess_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.audit]\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    environment = {key: value for key, value in os.environ.items() if key != cache_module.ENV_CACHE_DIR}
    for args in (("scan", "."), ("clean",)):
        done = subprocess.run([sys.executable, "-m", "audit", *args], cwd=tmp_path, capture_output=True, text=True,
                              env={**environment, "PYTHONPATH": str(ROOT)}, check=False)
        assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Removed .audit_cache") and not (tmp_path / CACHE_DIR_NAME).exists()


# Small generated modules: what hypothesmith writes, and statements the rules react to.
_SNIPPETS = st.sampled_from([
    "import os\n", "import os  # noqa\n", "try:\n    pass\nexcept Exception:\n    pass\n",
    "def f():\n    global x\n    x = 1\n", "x = 1  # audit: ignore[unknown-rule]\n", "# audit: ignore-file\n",
    "def g(a):\n    if a:\n        return 1\n    elif a > 2:\n        return 2\n    return 3\n",
])
_MODULES = st.one_of(hypothesmith.from_grammar().map(lambda text: text.encode("utf-8", "surrogatepass")),
                     st.lists(_SNIPPETS, max_size=6).map(lambda parts: "".join(parts).encode()),
                     st.binary(max_size=40))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(first=st.lists(_MODULES, min_size=1, max_size=3), second=st.lists(_MODULES, min_size=1, max_size=3))
def test_a_cached_scan_equals_an_uncached_one(tmp_path: Path, first: list[bytes], second: list[bytes]) -> None:
    """Scan generated files, rewrite them (often within the same timestamp tick), scan again: always as fresh."""
    folder = tmp_path / f"case{os.urandom(6).hex()}"
    folder.mkdir()
    settings_ = settings_from_table({"max-function-lines": 2}, root=folder, source=None)
    cache = Cache(folder / CACHE_DIR_NAME)
    for contents in (first, second, first):
        for old in folder.glob("*.py"):
            old.unlink()
        for number, data in enumerate(contents):
            (folder / f"m{number}.py").write_bytes(data)
        fresh = scan([folder], settings_, jobs=1, root=folder)
        assert scan([folder], settings_, jobs=1, root=folder, cache=Cache(cache.folder)) == fresh
        assert scan([folder], settings_, jobs=1, root=folder, cache=Cache(cache.folder)) == fresh


_SEGMENTS = st.sampled_from(["a", "b", "..", ".", "", "src", "x.py", "é", "a b", "\udcff"])
_PATHS = st.builds(lambda lead, parts: Path(lead + "/".join(parts)),
                   st.sampled_from(["", "/", "./", "/tmp/", "//", "///"]), st.lists(_SEGMENTS, max_size=4))


@pytest.mark.skipif(os.sep != "/", reason="the string fast path is POSIX only")
@settings(max_examples=500, deadline=None)
@given(path=_PATHS, root=st.one_of(st.none(), _PATHS))
def test_display_path_is_the_pathlib_computation(path: Path, root: Path | None) -> None:
    """``display_path`` works on strings for speed; it must give what ``pathlib`` gives."""
    absolute = path.absolute()
    try:
        expected = absolute.relative_to((root or Path.cwd()).absolute()).as_posix()
    except ValueError:
        expected = absolute.as_posix()
    assert display_path(path, root) == expected.encode("utf-8", "backslashreplace").decode("utf-8")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_for_many_files() -> None:
    stream = FakeTerminal()
    with terminal_progress(stream, threshold=3)(5) as advance:
        for _ in range(5):
            advance()
    assert "Analysing" in stream.getvalue() and "5/5" in stream.getvalue()
    quiet = FakeTerminal()
    with terminal_progress(quiet, threshold=10)(5) as advance:
        advance()
    piped = io.StringIO()
    with terminal_progress(piped, threshold=1)(5) as advance:
        advance()
    assert quiet.getvalue() == piped.getvalue() == ""


@pytest.mark.parametrize(("format_", "terminal", "shown"), [
    ("text", True, True), ("concise", True, True), ("json", True, False), ("text", False, False),
])
def test_scan_shows_progress_only_for_people_at_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           format_: str, terminal: bool, shown: bool) -> None:
    for number in range(6):
        (tmp_path / f"m{number}.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("audit.progress.PROGRESS_THRESHOLD", 5)
    stderr = FakeTerminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert main(["scan", "--no-cache", "--format", format_, "."]) == 0
    assert ("Analysing" in stderr.getvalue()) is shown


def test_progress_bar_through_a_real_terminal(tmp_path: Path) -> None:
    """The real check of ``isatty``: stderr on a pseudo-terminal, more files than the threshold."""
    import pty

    from audit.progress import PROGRESS_THRESHOLD

    for number in range(PROGRESS_THRESHOLD + 1):
        (tmp_path / f"m{number}.py").write_text("x = 1\n")
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "audit", "scan", "--no-cache", "--jobs", "1", "."],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=terminal,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(terminal)
    shown = b""
    while True:  # drain the terminal while the scan runs, until it closes (EIO)
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    out, _ = process.communicate(timeout=300)
    assert process.returncode == 0 and b"No findings" in out
    assert b"Analysing" in shown and b"\x1b[" in shown
    piped = run_audit("scan", "--no-cache", "--jobs", "1", ".", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""
