"""In-process wiring checks: configs composed with Hydra's compose API, tiny fits on the CPU (seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")
pytest.importorskip("hydra")

from reference_trainers.common.training import fit  # noqa: E402
from tests.trainers import TINY, compose_ocr  # noqa: E402


def test_fast_dev_run_wires_config_to_fit(tmp_path: Path) -> None:
    config = compose_ocr([*TINY, "trainer.fast_dev_run=true"], output_dir=tmp_path)
    summary = fit(config, trainer_name="ocr")
    assert (summary["status"], summary["steps"], summary["resumed_from"]) == ("completed", 1, None)
    assert summary["first_train_loss"] > 0 and summary["val_value"] is not None
    assert (tmp_path / "summary.json").is_file()


def test_tensorboard_event_file_holds_the_logged_scalars(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = compose_ocr([*TINY, "logger=tensorboard", "trainer.max_steps=4", "trainer.val_check_interval=2",
                          "trainer.limit_val_batches=1"], output_dir=tmp_path)
    assert fit(config, trainer_name="ocr")["steps"] == 4
    events = list((tmp_path / "logs").glob("events.out.tfevents.*"))
    assert len(events) == 1
    accumulator = EventAccumulator(str(events[0]))
    accumulator.Reload()
    assert [event.step for event in accumulator.Scalars("train/loss")] == [0, 1, 2, 3]
    assert [event.step for event in accumulator.Scalars("val/seq_acc")] == [1, 3]


def test_wandb_logs_offline(tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    config = compose_ocr([*TINY, "logger=wandb", "logger.offline=true", "trainer.max_steps=2",
                          "trainer.limit_val_batches=1"], output_dir=tmp_path)
    assert fit(config, trainer_name="ocr")["status"] == "completed"
    assert list((tmp_path / "logs" / "wandb").glob("offline-run-*"))
