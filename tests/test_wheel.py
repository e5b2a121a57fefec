"""The wheel: what it carries, and an installed trainer starting from another directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytest.importorskip("build")
pytest.importorskip("hydra")
pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "README.md", "audit", "reference_trainers", "legacy", "tests", "benchmarks")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the sources (the build leaves nothing in the checkout)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
                          cwd=source, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [built] = out.glob("*.whl")
    return built


def test_wheel_carries_the_configs_and_no_legacy_tests_or_benchmarks(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert packages == {"audit", "reference_trainers"}
    for config in ("reference_trainers/ocr/configs/train.yaml", "reference_trainers/ocr/configs/experiment/smoke.yaml",
                   "reference_trainers/common/configs/hydra/default.yaml",
                   "reference_trainers/common/configs/hydra/job_logging/console.yaml",
                   "reference_trainers/common/configs/logger/tensorboard.yaml",
                   "reference_trainers/common/configs/callbacks/model_checkpoint.yaml",
                   "reference_trainers/common/configs/paths/default.yaml"):
        assert config in names


def test_installed_wheel_starts_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    site_packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    # Reuse this environment's packages (hydra, torch, ...): a path entry, so its own .pth files
    # (an editable install of this checkout, say) are not processed there.
    (site_packages / "reuse_current_environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                             capture_output=True, text=True, timeout=300, env=env, check=False)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = subprocess.run([str(python), "-c", "import reference_trainers; print(reference_trainers.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, env=env, check=True)
    assert Path(probe.stdout.strip()).is_relative_to(environment)
    done = subprocess.run([str(python), "-m", "reference_trainers.ocr", "--cfg", "job", "experiment=smoke"],
                          cwd=elsewhere, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "batch_size: 32" in done.stdout and "model_checkpoint:" in done.stdout
    legacy = subprocess.run([str(python), "-c", "import legacy"], cwd=elsewhere, capture_output=True, text=True,
                            env=env, check=False)
    assert legacy.returncode != 0
