"""``summary.json``: what a run did, readable without opening any log.

``status`` is ``completed``, ``interrupted`` (stopped by a signal; ``resume_checkpoint``
is where ``resume=`` continues) or ``failed`` (``error`` says why). A resumed run
records ``resumed_from`` and ``lineage_first_train_loss``, the first loss of the
run it continues (or of that run's own origin).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch


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
        if not self._train_seconds and self._started:  # stopped before on_train_end
            self._train_seconds = time.perf_counter() - self._started
        summary = {
            "trainer": self.trainer_name,
            "status": status,
            "device": _device_name(trainer),
            "world_size": trainer.world_size,
            "precision": str(trainer.precision),
            "torch": torch.__version__,
            "epochs": trainer.current_epoch,
            "start_step": self.start_step,
            "steps": trainer.global_step,
            "wall_seconds": round(wall_seconds, 3),
            "train_seconds": round(self._train_seconds, 3),
            "samples_per_second": round(self.samples / self._train_seconds, 1) if self._train_seconds else None,
            "first_train_loss": self.first_loss,
            "last_train_loss": self.last_loss,
            "val_metric": self.monitor,
            "val_value": float(metric) if metric is not None else None,
            "best_checkpoint": getattr(checkpoint, "best_model_path", None) or None,
            "resume_checkpoint": str(self.last_checkpoint) if self.last_checkpoint.is_file() else None,
            "resumed_from": self.resumed_from,
            "lineage_first_train_loss": self.lineage_first_loss if self.resumed_from else self.first_loss,
            "peak_gpu_memory_mib": _peak_gpu_memory(trainer),
            **(extra or {}),
        }
        if trainer.is_global_zero:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def _batch_size(batch: Any) -> int:
    if isinstance(batch, dict):
        batch = next(iter(batch.values()))
    return len(batch)


def _peak_gpu_memory(trainer: pl.Trainer) -> float | None:
    device = trainer.strategy.root_device
    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)


def _device_name(trainer: pl.Trainer) -> str:
    device = trainer.strategy.root_device
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
