"""Real CPU trainings of the plain-PyTorch mel trainer: smoke, stop on SIGTERM and resume, failure."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("h5py")
pytest.importorskip("hydra")

from reference_trainers.mel.loop import LoopCallback  # noqa: E402
from tests.trainers import (  # noqa: E402
    assert_continues_exactly,
    file_hashes,
    run_command,
    run_trainer,
    stop_then_resume,
)

pytestmark = pytest.mark.slow
MEL = "reference_trainers.mel"
TINY_STEPS_PER_EPOCH = 512 // 32


class SignalAtStep(LoopCallback):
    """Sends ``signum`` to its own process after step ``step`` (``+callbacks.stop._target_=...``)."""

    def __init__(self, step: int, signum: int = 15) -> None:
        self.step, self.signum = step, signum

    def on_train_batch_end(self, step: int) -> None:
        if step == self.step:
            os.kill(os.getpid(), self.signum)


def stop_at(step: int, signum: int = 15) -> tuple[str, ...]:
    return (f"+callbacks.stop._target_={__name__}.SignalAtStep", f"+callbacks.stop.step={step}",
            f"+callbacks.stop.signum={signum}")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """Overrides for a two-epoch run of 16 steps each, on a dataset the first run builds."""
    data = tmp_path_factory.mktemp("mel-data") / "tiny.h5"
    return ("experiment=smoke", f"data.path={data}", "data.clips.train_size=512", "data.clips.val_size=64",
            "data.clips.test_size=64", "trainer.max_epochs=2", "trainer.log_every_n_steps=1")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny: tuple[str, ...]) -> Path:
    """A tiny run, uninterrupted: what a stopped and resumed run must reproduce."""
    run_dir = tmp_path_factory.mktemp("tiny")
    run_trainer(MEL, run_dir, *tiny)
    return run_dir


def test_smoke_run_builds_its_data_and_learns(tmp_path: Path) -> None:
    run_dir, data = tmp_path / "run", tmp_path / "smoke.h5"
    done = run_command(MEL, run_dir, "experiment=smoke", f"data.path={data}")
    assert done.returncode == 0, done.stdout[-5000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["trainer"] == "mel" and summary["device"] == "cpu" and summary["status"] == "completed"
    assert summary["precision"] == "32-true" and summary["epochs"] == 3 and summary["steps"] == 3 * 2048 // 32
    assert summary["last_train_loss"] <= summary["first_train_loss"] / 2
    assert summary["val_metric"] == "val/acc" and summary["val_value"] > 0.6  # chance is 1/7
    assert summary["test_accuracy"] > 0.6
    assert summary["best_checkpoint"] == str(run_dir / "checkpoints" / "best.ckpt")
    assert summary["resume_checkpoint"] == str(run_dir / "checkpoints" / "last.ckpt")
    assert summary["samples_per_second"] > 0 and summary["peak_gpu_memory_mib"] is None
    assert data.is_file() and f"building {data}" in done.stdout
    assert "Traceback" not in done.stdout and "Warning" not in done.stdout, done.stdout
    last = done.stdout.rstrip().splitlines()[-1]
    assert last.endswith(f"INFO completed: run dir {run_dir}, val/acc={summary['val_value']:.4f}, "
                         f"best checkpoint {summary['best_checkpoint']}")
    assert sorted(path.name for path in (run_dir / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]


def test_sigterm_then_resume_continues_exactly(tiny: tuple[str, ...], tiny_run: Path, tmp_path: Path) -> None:
    runs = stop_then_resume(MEL, tmp_path, tiny, stop_at(20), step=20)
    checkpoint = runs.first / "checkpoints" / "interrupted-step000020.ckpt"
    assert runs.stopped["resume_checkpoint"] == str(checkpoint) and checkpoint.is_file()
    assert runs.resumed["steps"] == 2 * TINY_STEPS_PER_EPOCH
    assert Path(runs.resumed["best_checkpoint"]).is_file()
    assert_continues_exactly(runs, tiny_run, first_logged_step=21)


def test_sigint_stops_with_exit_130(tiny: tuple[str, ...], tmp_path: Path) -> None:
    done = run_command(MEL, tmp_path, *tiny, "trainer.max_steps=8", *stop_at(3, signum=2))
    assert done.returncode == 130, done.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["status"], summary["steps"]) == ("interrupted", 3)
    assert (tmp_path / "checkpoints" / "interrupted-step000003.ckpt").is_file()


def test_a_finished_run_is_left_alone_and_more_epochs_continue_it(tiny_run: Path, tmp_path: Path) -> None:
    before = file_hashes(tiny_run)
    done = run_command(MEL, None, f"resume={tiny_run}", cwd=tmp_path)
    assert done.returncode == 0 and "nothing left to train" in done.stdout, done.stdout[-3000:]
    longer = run_trainer(MEL, tmp_path / "longer", f"resume={tiny_run}", "trainer.max_epochs=3")
    assert (longer["start_step"], longer["steps"], longer["epochs"]) == (32, 48, 3)
    assert file_hashes(tiny_run) == before


def test_exception_in_training_is_a_failed_run(tiny: tuple[str, ...], tmp_path: Path) -> None:
    done = run_command(MEL, tmp_path, *tiny, "model.lr=-1")
    assert done.returncode == 1, done.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["error"] == "ValueError: Invalid learning rate: -1.0"
    assert "Traceback" not in done.stdout and "ValueError" in (tmp_path / "traceback.txt").read_text()


def test_legacy_trainer_runs_its_smoke_config_and_learns(tmp_path: Path) -> None:
    legacy = run_trainer("legacy.mel.train", tmp_path / "run", "experiment=smoke", f"data.path={tmp_path / 'smoke.h5'}")
    assert legacy["steps"] == 3 * 2048 // 32
    assert legacy["last_train_loss"] <= legacy["first_train_loss"] / 2 and legacy["val_value"] > 0.6
    checkpoints = sorted(path.name for path in (tmp_path / "run" / "checkpoints").iterdir())
    assert checkpoints == ["best.pth", "last.pth", "mel_cnn_best.h5"]  # the best one written twice
