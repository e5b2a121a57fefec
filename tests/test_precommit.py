"""The pre-commit hook, run by the real ``pre-commit`` in a scratch git repository.

pre-commit builds a virtual environment and pip-installs audit into it (from PyPI's
radon, rich and PyYAML), so these tests are ``slow``. ``PRE_COMMIT_HOME`` points into
the test's temporary folder: the user's pre-commit cache is never touched.
``try-repo`` takes this repository's HEAD plus uncommitted changes to tracked files;
a new file must be staged (``git add``) before the hook can see it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ROOT

SIGNAL_AT_IMPORT = ("import signal\n\n\ndef on_term(signum, frame):\n    raise SystemExit(0)\n\n\n"
                    "signal.signal(signal.SIGTERM, on_term)\n")  # global-signal-handler on line 8
CLEAN = "def double(x):\n    return 2 * x\n"
README_BLOCK = re.compile(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", re.DOTALL)


def _pre_commit() -> str | None:
    beside_python = Path(sys.executable).with_name("pre-commit")
    return shutil.which("pre-commit") or (str(beside_python) if beside_python.is_file() else None)


PRE_COMMIT = _pre_commit()
GIT = shutil.which("git")


def needs_pre_commit(test: Callable[..., None]) -> Callable[..., None]:
    """Slow, and skipped with the reason when pre-commit or git is missing."""
    for mark in (pytest.mark.slow,
                 pytest.mark.skipif(PRE_COMMIT is None, reason="the pre-commit executable is not installed (dev extra)"),
                 pytest.mark.skipif(GIT is None, reason="git is not installed")):
        test = mark(test)
    return test


def _environment(tmp_path: Path, extra_path: Path | None = None) -> dict[str, str]:
    """No PYTHONPATH (the hook must run its installed copy), a private pre-commit home, no user git config."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH" and not key.startswith("GIT_")}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), GIT_CONFIG_NOSYSTEM="1",
               GIT_CONFIG_GLOBAL=os.devnull, PRE_COMMIT_COLOR="never")
    if extra_path is not None:
        env["PATH"] = f"{extra_path}{os.pathsep}{env.get('PATH', '')}"
    return env


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run([GIT or "git", "-c", "user.name=test", "-c", "user.email=test@example.com",
                           "-c", "commit.gpgsign=false", *args], cwd=cwd, capture_output=True, text=True,
                          check=True, timeout=60)
    return done.stdout.strip()


def _scratch_repository(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """A git repository holding a file with an import-time signal handler, a clean file, and an excluded one."""
    repository = tmp_path / "scratch"
    files = {"bad.py": SIGNAL_AT_IMPORT, "clean.py": CLEAN, "vendored/third_party.py": SIGNAL_AT_IMPORT,
             "pyproject.toml": '[tool.audit]\nexclude = ["vendored"]\n', **(extra or {})}
    for name, text in files.items():
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text(text)
    _git("init", "-q", cwd=repository)
    _git("add", ".", cwd=repository)
    _git("commit", "-q", "-m", "scratch", cwd=repository)
    return repository


def _pre_commit_run(repository: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PRE_COMMIT or "pre-commit", *args], cwd=repository, env=env, capture_output=True,
                          text=True, timeout=900, check=False)


def _this_repository() -> str:
    try:
        return _git("rev-parse", "--show-toplevel", cwd=ROOT)
    except subprocess.CalledProcessError:
        pytest.skip("the audit sources are not a git repository: pre-commit needs one")


@needs_pre_commit
def test_try_repo_fails_on_the_bad_file_and_passes_the_clean_one(tmp_path: Path) -> None:
    repository = _scratch_repository(tmp_path)
    env = _environment(tmp_path)
    failed = _pre_commit_run(repository, env, "try-repo", _this_repository(), "audit", "--all-files")
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "- hook id: audit" in output and "Failed" in output
    assert re.search(r"^bad\.py\n\s+8:1\s+global-signal-handler\s+import-time `signal.signal`", output, re.MULTILINE)
    assert "Found 1 finding in 1 of 2 files" in output  # vendored/ is excluded: the hook passes --force-exclude
    assert "clean.py" not in output and "third_party" not in output
    passed = _pre_commit_run(repository, env, "try-repo", _this_repository(), "audit",
                             "--files", "clean.py", "vendored/third_party.py")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^audit \(static audit of ML training code\)\.+Passed$", passed.stdout, re.MULTILINE)


def _readme_configs() -> list[str]:
    section = (ROOT / "README.md").read_text().split("### pre-commit", 1)[1].split("\n## ", 1)[0]
    blocks = README_BLOCK.findall(section)
    assert len(blocks) == 2, "the README shows a remote and a local configuration"
    return blocks


def _filled(config: str, url: str, sha: str) -> str:
    filled = config.replace("<git URL of this repository>", url).replace("<full commit SHA>", sha)
    assert "<" not in filled, f"an unfilled placeholder in the README's configuration:\n{filled}"
    return filled


def _installed_packages(pre_commit_home: Path) -> list[dict[str, bool]]:
    """For each virtual environment pre-commit built: which of audit, its dependencies and torch it holds."""
    probe = ("import importlib.util as u; names = ['audit', 'radon', 'rich', 'yaml', 'torch', 'lightning'];"
             "print(' '.join(str(u.find_spec(n) is not None) for n in names))")
    found = []
    for python in sorted(pre_commit_home.glob("*/py_env-*/bin/python")):
        flags = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True,
                               timeout=60, env={"PATH": os.environ.get("PATH", "")}).stdout.split()
        found.append(dict(zip(["audit", "radon", "rich", "yaml", "torch", "lightning"],
                              (flag == "True" for flag in flags), strict=True)))
    return found


@needs_pre_commit
@pytest.mark.parametrize("which", [0, 1], ids=["remote", "local-python"])
def test_readme_configurations_work(tmp_path: Path, which: int) -> None:
    """Each README configuration, with this repository's URL and HEAD, fails on the bad file only."""
    top = _this_repository()
    config = _filled(_readme_configs()[which], Path(top).as_uri(), _git("rev-parse", "HEAD", cwd=ROOT))
    repository = _scratch_repository(tmp_path, {".pre-commit-config.yaml": config})
    env = _environment(tmp_path)
    failed = _pre_commit_run(repository, env, "run", "--all-files")
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert re.search(r"^bad\.py\n\s+8:1\s+global-signal-handler", output, re.MULTILINE)
    assert "third_party" not in output and "mutable reference" not in output
    assert _pre_commit_run(repository, env, "run", "--files", "clean.py").returncode == 0
    environments = _installed_packages(tmp_path / "pre-commit-home")
    assert environments == [{"audit": True, "radon": True, "rich": True, "yaml": True,
                             "torch": False, "lightning": False}]


@needs_pre_commit
def test_readme_system_variant_runs_the_installed_audit(tmp_path: Path) -> None:
    """``language: system`` runs the ``audit`` on PATH: here, this checkout through a small wrapper."""
    local = _readme_configs()[1]
    system = re.sub(r"\n\s+additional_dependencies: .*", "", local).replace("language: python", "language: system")
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    wrapper = bin_folder / "audit"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m audit "$@"\n')
    wrapper.chmod(0o755)
    repository = _scratch_repository(tmp_path, {".pre-commit-config.yaml": system})
    env = _environment(tmp_path, bin_folder)
    failed = _pre_commit_run(repository, env, "run", "--all-files")
    assert failed.returncode == 1 and re.search(r"^bad\.py\n\s+8:1\s+global-signal-handler", failed.stdout,
                                                re.MULTILINE), failed.stdout + failed.stderr
    assert _pre_commit_run(repository, env, "run", "--files", "clean.py").returncode == 0


def test_hook_definition() -> None:
    """The hook passes --force-exclude and installs audit itself, whose core dependencies exclude torch."""
    import tomllib

    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "audit" and hook["language"] == "python" and "--force-exclude" in hook["entry"].split()
    assert "additional_dependencies" not in hook and hook["types"] == ["python"]
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [name for name in dependencies if re.match(r"(torch|lightning|hydra)", name)]
