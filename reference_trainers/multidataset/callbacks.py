"""The epoch heartbeat (one line per epoch, per-dataset metrics, elapsed time) and the curriculum feed."""

from __future__ import annotations

import logging
import time
from collections import defaultdict

import lightning.pytorch as pl

log = logging.getLogger(__name__)


class EpochHeartbeat(pl.Callback):
    """Logs one line per epoch: epoch, step, elapsed time, overall metrics, then each dataset's metrics."""

    def __init__(self) -> None:
        self._started = 0.0

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._started = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        log.info(heartbeat_line(trainer.current_epoch + 1, trainer.max_epochs, trainer.global_step,
                                time.perf_counter() - self._started,
                                {name: float(value) for name, value in trainer.callback_metrics.items()
                                 if value.numel() == 1}))


def heartbeat_line(epoch: int, max_epochs: int | None, step: int, elapsed: float, metrics: dict[str, float]) -> str:
    """``epoch 2/4 step 128 12.3s train/loss=0.41 val/min_acc=0.9 | clean acc=0.99 loss=0.03 | ...``.

    A metric named ``<split>/<dataset>/<name>`` goes in its dataset's group.
    """
    overall, by_dataset = [], defaultdict(list)
    for name, value in sorted(metrics.items()):
        parts = name.split("/")
        if len(parts) == 3:
            by_dataset[parts[1]].append(f"{parts[2]}={value:.4g}")
        else:
            overall.append(f"{name}={value:.4g}")
    epochs = f"/{max_epochs}" if max_epochs and max_epochs > 0 else ""
    groups = "".join(f" | {dataset} {' '.join(values)}" for dataset, values in by_dataset.items())
    return f"epoch {epoch}{epochs} step {step} {elapsed:.1f}s {' '.join(overall)}{groups}"


class CurriculumCallback(pl.Callback):
    """Gives the training sampler the step and the run's total steps before it draws an epoch.

    At training start too: a run resumed mid-epoch draws the rest of that epoch before
    ``on_train_epoch_start``.
    """

    def _feed(self, trainer: pl.Trainer) -> None:
        sampler = getattr(trainer.train_dataloader, "sampler", None)
        if hasattr(sampler, "set_step"):
            sampler.set_step(trainer.global_step, trainer.estimated_stepping_batches)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._feed(trainer)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._feed(trainer)
