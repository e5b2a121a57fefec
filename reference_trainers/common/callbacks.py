"""Callbacks: one console line per epoch, time to a target metric, GPU busy fraction."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time

import lightning.pytorch as pl

log = logging.getLogger(__name__)


class EpochLog(pl.Callback):
    """Logs one line per epoch (step, then every logged metric) when no progress bar is shown."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.progress_bar_callback is not None or trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = " ".join(f"{name}={float(value):.4g}" for name, value in sorted(trainer.callback_metrics.items())
                           if value.numel() == 1)
        epochs = f"/{trainer.max_epochs}" if trainer.max_epochs and trainer.max_epochs > 0 else ""
        log.info("epoch %d%s step %d %s", trainer.current_epoch + 1, epochs, trainer.global_step, metrics)


class TimeToTarget(pl.Callback):
    """Records the wall time and step at which ``monitor`` first reaches ``target`` (rank 0 view)."""

    def __init__(self, monitor: str, target: float) -> None:
        self.monitor = monitor
        self.target = target
        self.seconds: float | None = None
        self.step: int | None = None
        self._started = 0.0

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._started = time.perf_counter()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if self.seconds is None and not trainer.sanity_checking and value is not None and value >= self.target:
            self.seconds = time.perf_counter() - self._started
            self.step = trainer.global_step


class GpuBusySampler(pl.Callback):
    """Samples ``nvidia-smi`` GPU utilisation during training; ``busy_fraction`` is the mean (0-1)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def busy_fraction(self) -> float | None:
        return sum(self.samples) / len(self.samples) / 100 if self.samples else None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if shutil.which("nvidia-smi") and trainer.strategy.root_device.type == "cuda":
            self._thread = threading.Thread(target=self._sample, args=(trainer.strategy.root_device.index or 0,),
                                            daemon=True)
            self._thread.start()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self, index: int) -> None:
        command = ["nvidia-smi", f"--id={index}", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
        while not self._stop.wait(self.interval):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode == 0 and done.stdout.strip().isdigit():
                self.samples.append(float(done.stdout.strip()))
