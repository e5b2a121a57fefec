"""Real CPU trainings of the OCR trainer: smoke, legacy parity, DDP (gloo), stop and resume, failure."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")
pytest.importorskip("hydra")

from tests.trainers import (  # noqa: E402
    TINY,
    assert_continues_exactly,
    file_hashes,
    run_command,
    run_trainer,
    stop_at,
    stop_then_resume,
)

pytestmark = pytest.mark.slow
SMOKE = ("experiment=smoke",)
OCR = "reference_trainers.ocr"
TINY_STEPS_PER_EPOCH = 512 // 32
MID_EPOCH_WARNING = "resuming from a checkpoint that ended before the epoch ended"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    run_dir = tmp_path_factory.mktemp("smoke")
    done = run_command(OCR, run_dir, *SMOKE)
    assert done.returncode == 0, done.stdout[-5000:]
    return json.loads((run_dir / "summary.json").read_text()), done.stdout


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny two-epoch run, uninterrupted: what a stopped and resumed run must reproduce."""
    run_dir = tmp_path_factory.mktemp("tiny")
    run_trainer(OCR, run_dir, *TINY)
    return run_dir


def test_smoke_run_learns(smoke_run: tuple[dict, str]) -> None:
    summary, _ = smoke_run
    assert summary["trainer"] == "ocr" and summary["device"] == "cpu" and summary["status"] == "completed"
    assert summary["precision"] == "32-true" and summary["epochs"] == 2
    assert summary["last_train_loss"] <= summary["first_train_loss"] / 2
    assert summary["val_metric"] == "val/seq_acc"
    assert summary["val_value"] > 0.5  # chance for 4-8 digit strings is below 1e-4
    assert Path(summary["best_checkpoint"]).is_file() and "=" not in Path(summary["best_checkpoint"]).name
    assert summary["samples_per_second"] > 0 and summary["steps"] == 2 * 4096 // 32


def test_console_prints_each_line_once_and_ends_with_the_results(smoke_run: tuple[dict, str]) -> None:
    summary, output = smoke_run
    lines = [line.split("] ", 1)[-1] for line in output.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)), output
    assert sum("epoch " in line and "/2 step " in line for line in lines) == 2  # one line per epoch, no bar
    assert "Traceback" not in output and "Warning" not in output, output
    run_dir = str(Path(summary["best_checkpoint"]).parent.parent)
    assert lines[-1] == (f"INFO completed: run dir {run_dir}, val/seq_acc={summary['val_value']:.4f}, "
                         f"best checkpoint {summary['best_checkpoint']}")


def test_legacy_trainer_reaches_the_same_metric(smoke_run: tuple[dict, str], tmp_path: Path) -> None:
    legacy = run_trainer("legacy.ocr.train", tmp_path, *SMOKE)
    assert legacy["steps"] == smoke_run[0]["steps"]
    assert legacy["val_value"] == pytest.approx(smoke_run[0]["val_value"], abs=1e-6)


def test_ddp_on_two_cpu_processes(tmp_path: Path) -> None:
    summary = run_trainer(OCR, tmp_path, *TINY, "trainer.devices=2", "trainer.strategy=ddp", "trainer.max_epochs=1",
                          "data.train_size=2048")
    assert summary["world_size"] == 2
    assert summary["steps"] == 2048 // 32 // 2  # each rank sees half the data
    assert 0 <= summary["val_value"] <= 1 and summary["first_train_loss"] > summary["last_train_loss"]
    assert list(tmp_path.rglob("summary.json")) == [tmp_path / "summary.json"]


def test_sigterm_to_rank_zero_stops_every_ddp_rank_at_the_same_step(tmp_path: Path) -> None:
    done = run_command(OCR, tmp_path, *TINY, "trainer.devices=2", "trainer.strategy=ddp", "trainer.max_epochs=1",
                       "data.train_size=1024", *stop_at(5, rank=0))
    assert done.returncode == 143, done.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["status"], summary["steps"], summary["world_size"]) == ("interrupted", 5, 2)
    assert [path.name for path in (tmp_path / "checkpoints").glob("interrupted-*")] == ["interrupted-step000005.ckpt"]
    assert list(tmp_path.rglob("summary.json")) == [tmp_path / "summary.json"]


def test_sigterm_then_resume_continues_exactly(tiny_run: Path, tmp_path: Path) -> None:
    runs = stop_then_resume(OCR, tmp_path, TINY, stop_at(20), step=20)
    checkpoint = runs.first / "checkpoints" / "interrupted-step000020.ckpt"
    assert runs.stopped["resume_checkpoint"] == str(checkpoint) and checkpoint.is_file()
    assert MID_EPOCH_WARNING not in runs.resumed_output
    assert runs.resumed["steps"] == 2 * TINY_STEPS_PER_EPOCH
    assert_continues_exactly(runs, tiny_run, first_logged_step=20)


def test_sigint_stops_with_exit_130(tmp_path: Path) -> None:
    done = run_command(OCR, tmp_path, *TINY, "trainer.max_steps=8", *stop_at(3, signum=2))
    assert done.returncode == 130, done.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["status"], summary["steps"]) == ("interrupted", 3)
    assert (tmp_path / "checkpoints" / "interrupted-step000003.ckpt").is_file()


def test_resume_with_more_epochs_trains_them_and_a_finished_run_is_left_alone(tiny_run: Path,
                                                                              tmp_path: Path) -> None:
    before = file_hashes(tiny_run)
    done = run_command(OCR, None, f"resume={tiny_run}", cwd=tmp_path)
    assert done.returncode == 0 and "nothing left to train" in done.stdout, done.stdout[-3000:]
    assert not (tmp_path / "outputs").exists()
    longer = tmp_path / "longer"
    summary = run_trainer(OCR, longer, f"resume={tiny_run}", "trainer.max_epochs=3")
    assert (summary["start_step"], summary["steps"], summary["epochs"]) == (32, 48, 3)
    assert summary["resumed_from"] == str(tiny_run) and MID_EPOCH_WARNING not in (longer / "ocr.log").read_text()
    assert file_hashes(tiny_run) == before


def test_exception_in_training_is_a_failed_run(tmp_path: Path) -> None:
    done = run_command(OCR, tmp_path, *TINY, "model.lr=-1")
    assert done.returncode == 1, done.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["error"] == "ValueError: Invalid learning rate: -1.0"
    assert "Traceback" not in done.stdout and "ValueError" in (tmp_path / "traceback.txt").read_text()
    assert done.stdout.rstrip().splitlines()[-1].endswith(f"(traceback in {tmp_path / 'traceback.txt'})")


def test_runs_started_together_get_their_own_directories(tmp_path: Path) -> None:
    results: list[subprocess.CompletedProcess[str]] = []
    threads = [threading.Thread(target=lambda: results.append(
        run_command(OCR, None, *TINY, "trainer.fast_dev_run=true", cwd=tmp_path))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [done.returncode for done in results] == [0, 0], [done.stdout[-2000:] for done in results]
    run_dirs = {path.parent for path in (tmp_path / "outputs").rglob("summary.json")}
    assert len(run_dirs) == 2
