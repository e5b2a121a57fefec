"""``summary.json`` for a Lightning run: what it did, readable without opening any log.

The keys and their meaning: ``reference_trainers.common.run_record``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl

from reference_trainers.common.run_record import RunFigures, RunIdentity, summary_record, write_summary


class RunSummary(pl.Callback):
    """Collects train losses, timing and throughput; rank 0 writes ``summary.json`` at the end of fit."""

    def __init__(self, trainer_name: str, monitor: str, output_dir: str, resumed_from: str | None = None,
                 lineage_first_loss: float | None = None, checkpoint_dir: str | None = None) -> None:
        self.trainer_name = trainer_name
        self.monitor = monitor
        self.path = Path(output_dir) / "summary.json"
        self.last_checkpoint = Path(checkpoint_dir or Path(output_dir) / "checkpoints") / "last.ckpt"
        self.resumed_from = resumed_from
        self.lineage_first_loss = lineage_first_loss
        self.first_loss: float | None = None
        self.last_loss: float | None = None
        self.samples = 0
        self.start_step = 0
        self._started = 0.0
        self._train_seconds = 0.0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start_step = trainer.global_step
        self._started = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        loss = float(outputs["loss"].detach()) if isinstance(outputs, dict) else float(outputs.detach())
        if self.first_loss is None:
            self.first_loss = loss
        self.last_loss = loss
        self.samples += _batch_size(batch) * trainer.world_size

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._train_seconds = time.perf_counter() - self._started

    def write(self, trainer: pl.Trainer, wall_seconds: float, status: str = "completed",
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the summary (rank 0 only) and return it."""
        metric = trainer.callback_metrics.get(self.monitor)
        checkpoint = trainer.checkpoint_callback
        figures = RunFigures(
            device=trainer.strategy.root_device, world_size=trainer.world_size, precision=str(trainer.precision),
            epochs=trainer.current_epoch, start_step=self.start_step, steps=trainer.global_step,
            train_seconds=self._train_seconds, samples=self.samples, first_loss=self.first_loss,
            last_loss=self.last_loss, val_value=float(metric) if metric is not None else None,
            best_checkpoint=getattr(checkpoint, "best_model_path", None) or None,
            resume_checkpoint=str(self.last_checkpoint) if self.last_checkpoint.is_file() else None)
        identity = RunIdentity(self.trainer_name, self.monitor, self.resumed_from, self.lineage_first_loss)
        summary = summary_record(identity, figures, wall_seconds, status, extra)
        if trainer.is_global_zero:
            write_summary(self.path, summary)
        return summary


def _batch_size(batch: Any) -> int:
    if isinstance(batch, dict):
        batch = next(iter(batch.values()))
    return len(batch)
