"""Real CPU trainings of the OCR trainer: smoke, legacy parity, DDP (gloo) and resume after SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")
pytest.importorskip("hydra")

from tests.helpers import ROOT  # noqa: E402
from tests.trainers import run_trainer, trainer_command, trainer_env  # noqa: E402

pytestmark = pytest.mark.slow
SMOKE = ("experiment=smoke",)


@pytest.fixture(scope="module")
def smoke_summary(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_trainer("reference_trainers.ocr", tmp_path_factory.mktemp("smoke"), *SMOKE)


def test_smoke_run_learns(smoke_summary: dict) -> None:
    assert smoke_summary["trainer"] == "ocr" and smoke_summary["device"] == "cpu"
    assert smoke_summary["precision"] == "32-true" and smoke_summary["epochs"] == 2
    assert smoke_summary["last_train_loss"] <= smoke_summary["first_train_loss"] / 2
    assert smoke_summary["val_metric"] == "val/seq_acc"
    assert smoke_summary["val_value"] > 0.5  # chance for 4-8 digit strings is below 1e-4
    assert Path(smoke_summary["best_checkpoint"]).is_file()
    assert smoke_summary["samples_per_second"] > 0 and smoke_summary["steps"] == 2 * 4096 // 32


def test_legacy_trainer_reaches_the_same_metric(smoke_summary: dict, tmp_path: Path) -> None:
    legacy = run_trainer("legacy.ocr.train", tmp_path, *SMOKE)
    assert legacy["steps"] == smoke_summary["steps"]
    assert legacy["val_value"] == pytest.approx(smoke_summary["val_value"], abs=1e-6)


def test_ddp_on_two_cpu_processes(tmp_path: Path) -> None:
    summary = run_trainer("reference_trainers.ocr", tmp_path, *SMOKE, "trainer.devices=2", "trainer.strategy=ddp",
                          "trainer.max_epochs=1", "data.train_size=2048")
    assert summary["world_size"] == 2
    assert summary["steps"] == 2048 // 32 // 2  # each rank sees half the data
    assert 0 <= summary["val_value"] <= 1 and summary["first_train_loss"] > summary["last_train_loss"]
    assert list(tmp_path.rglob("summary.json")) == [tmp_path / "summary.json"]


def _wait_for(path: Path, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "training ended before the checkpoint appeared"
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.2)


def test_resume_after_sigterm(tmp_path: Path) -> None:
    overrides = (*SMOKE, "trainer.max_epochs=3")
    process = subprocess.Popen(trainer_command("reference_trainers.ocr", tmp_path, *overrides), cwd=ROOT,
                               env=trainer_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(tmp_path / "checkpoints" / "last.ckpt", process, timeout=240)
        time.sleep(3)  # well into the second epoch
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        process.kill()
    # Lightning turns SIGTERM into SIGTERMException (a SystemExit) after saving the checkpoint.
    assert "SIGTERMException" in output and not (tmp_path / "summary.json").exists(), output[-2000:]
    summary = run_trainer("reference_trainers.ocr", tmp_path, *overrides, "ckpt_path=last")
    steps_per_epoch = 4096 // 32
    assert summary["start_step"] > steps_per_epoch  # resumed mid-way, not from step 0 nor epoch 1
    assert summary["steps"] == 3 * steps_per_epoch and summary["epochs"] == 3
    assert json.loads((tmp_path / "summary.json").read_text())["val_value"] > 0.5
