"""The trainer's command line without training: one-line errors with exit 2, and resume planning.

A run directory to resume is made the way Hydra makes one (``.hydra/overrides.yaml``
and ``.hydra/config.yaml`` from ``--cfg job``), so no test here trains.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("hydra")
yaml = pytest.importorskip("yaml")

from tests.helpers import ROOT  # noqa: E402
from tests.trainers import file_hashes, trainer_env  # noqa: E402


def ocr(*arguments: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reference_trainers.ocr", *arguments], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env or trainer_env(), check=False)


def assert_one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ") and all(fragment in done.stderr for fragment in fragments), done.stderr


@pytest.mark.parametrize(("override", "fragments"), [
    ("trainer.max_epochs=abc", ("trainer.max_epochs", "'abc'", "Integer")),
    ("trainer.max_epoch=3", ("trainer.max_epoch", "not in")),
    ("+trainer.min_lr=3", ("trainer.min_lr",)),
    ("logger.kind=mlflow", ("logger.kind", "'mlflow'", "csv, tensorboard, wandb, none")),
    ("logger=mlflow", ("logger/mlflow",)),
    ("model.hidden=[1", ("cannot parse override 'model.hidden=[1'",)),
    ("ckpt_path=missing.ckpt", ("missing.ckpt does not exist",)),
])
def test_bad_override_is_one_line_and_exit_2(override: str, fragments: tuple[str, ...], tmp_path: Path) -> None:
    assert_one_line_error(ocr(override, f"hydra.run.dir={tmp_path / 'run'}"), *fragments)
    assert not (tmp_path / "run").exists()  # refused before Hydra made a run directory


def test_config_answers_and_errors_never_import_torch(tmp_path: Path) -> None:
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("raise ImportError('torch was imported')\n")
    env = {**trainer_env(), "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    shown = ocr("--cfg", "job", "experiment=smoke", env=env)
    assert shown.returncode == 0 and "batch_size: 32" in shown.stdout, shown.stderr
    assert_one_line_error(ocr("trainer.max_epochs=abc", env=env), "trainer.max_epochs")
    assert ocr("--help", env=env).returncode == 0


@pytest.mark.skipif(importlib.util.find_spec("wandb") is not None, reason="wandb is installed")
def test_missing_logger_package_names_the_extra(tmp_path: Path) -> None:
    assert_one_line_error(ocr("logger=wandb", f"hydra.run.dir={tmp_path}"), "'wandb' package", "'wandb' extra")


def fake_run(tmp_path: Path, summary: dict | None, *overrides: str, name: str = "first") -> Path:
    """A run directory as Hydra leaves one, with a checkpoint archive and, if given, a summary."""
    run_dir = tmp_path / name
    (run_dir / ".hydra").mkdir(parents=True)
    config = ocr("--cfg", "job", *overrides)
    assert config.returncode == 0, config.stderr
    (run_dir / ".hydra" / "config.yaml").write_text(config.stdout)
    (run_dir / ".hydra" / "overrides.yaml").write_text("".join(f"- {item}\n" for item in overrides))
    (run_dir / "checkpoints").mkdir()
    with zipfile.ZipFile(run_dir / "checkpoints" / "last.ckpt", "w") as archive:  # what torch.save writes
        archive.writestr("last/data.pkl", b"")
    if summary is not None:
        (run_dir / "summary.json").write_text(json.dumps(summary))
    return run_dir


def test_resume_reapplies_the_saved_overrides_then_the_new_ones(tmp_path: Path) -> None:
    # A name Hydra's override grammar would split: the planned overrides quote it.
    run_dir = fake_run(tmp_path, None, "experiment=smoke", "trainer.max_epochs=3", name="first run, a=b")
    done = ocr(f"resume={run_dir}", "trainer.max_epochs=5", "--cfg", "job")
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    assert config["trainer"]["max_epochs"] == 5 and config["data"]["batch_size"] == 32
    assert config["resume"] == str(run_dir) and config["ckpt_path"] == f"{run_dir}/checkpoints/last.ckpt"


def test_resume_refuses_a_change_of_model_shape(tmp_path: Path) -> None:
    run_dir = fake_run(tmp_path, None, "experiment=smoke")
    assert_one_line_error(ocr(f"resume={run_dir}", "model.hidden=64"), "model.hidden was 48 and would be 64")
    assert_one_line_error(ocr(f"resume={run_dir}", "experiment=full"), "model.channels was [16, 32, 48]")


def test_resume_of_a_finished_run_changes_nothing(tmp_path: Path) -> None:
    run_dir = fake_run(tmp_path, {"status": "completed", "steps": 256, "epochs": 2}, "experiment=smoke")
    before = file_hashes(tmp_path)
    done = ocr(f"resume={run_dir}", cwd=tmp_path)
    assert done.returncode == 0 and "completed at step 256 (epoch 2); nothing left to train" in done.stdout
    assert file_hashes(tmp_path) == before and not (tmp_path / "outputs").exists()


def test_resume_needs_a_run_directory_and_a_checkpoint(tmp_path: Path) -> None:
    assert_one_line_error(ocr(f"resume={tmp_path}"), "not a run directory")
    run_dir = fake_run(tmp_path, None, "experiment=smoke")
    (run_dir / "checkpoints" / "last.ckpt").unlink()
    assert_one_line_error(ocr(f"resume={run_dir}"), "no checkpoint to resume from")
    assert_one_line_error(ocr(f"resume={run_dir}", f"hydra.run.dir={run_dir}"), "writes a new run directory")
