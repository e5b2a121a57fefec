"""The hand-written training loop: ``fit(config, trainer_name)`` for the shared launcher.

bf16 autocast on a GPU (none on the CPU), a ``GradScaler`` only for fp16,
``channels_last`` inputs and weights, losses kept on the device and read once per
logging interval, one ``prepare_batch`` for training and evaluation, ``best.ckpt``
and ``last.ckpt`` written atomically, and SIGTERM/SIGINT turned into an
``interrupted-step<N>.ckpt`` that ``resume=<run dir>`` continues from exactly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch.nn import functional

from reference_trainers.common.checkpoints import LAST, interrupted_name, require_readable
from reference_trainers.common.console import route_library_logs, silence_known_warnings
from reference_trainers.common.errors import UsageError
from reference_trainers.common.run_record import (
    RunFigures,
    RunIdentity,
    lineage_first_loss,
    record_failure,
    summary_before_training,
    summary_record,
    write_summary,
)
from reference_trainers.common.schedule import warmup_cosine_scheduler
from reference_trainers.common.signals import RunInterrupted, StopSignals, restore_rng_state, rng_state
from reference_trainers.mel.data import BatchOrder, ClipBatches, ensure_dataset, loader
from reference_trainers.mel.metrics import MetricsLog, open_metrics_log
from reference_trainers.mel.model import MelClassifier
from reference_trainers.mel.synth import CLASSES

log = logging.getLogger("reference_trainers.mel")
BEST = "best.ckpt"
AUTOCAST_DTYPES = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}
PRECISIONS = ("32-true", *AUTOCAST_DTYPES)


class LoopCallback:
    """What a ``callbacks`` entry of the config may implement; every hook does nothing by default."""

    def on_train_start(self, step: int) -> None:
        """Before the first step of this run (``step`` is where a resumed run starts)."""

    def on_train_batch_end(self, step: int) -> None:
        """After the optimizer step ``step`` (counted from 1)."""

    def on_validation_end(self, step: int, metrics: dict[str, float]) -> None:
        """After a validation at ``step``; ``metrics`` are host floats."""


class RunningMean:
    """A sum and count of detached losses, kept on the device until ``take()``."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.total, self.count = torch.zeros((), device=device), 0

    def add(self, value: torch.Tensor) -> None:
        self.total, self.count = self.total + value, self.count + 1

    def take(self) -> torch.Tensor:
        """The mean since the last ``take()`` (still on the device), and a fresh start."""
        mean = self.total / max(self.count, 1)
        self.total, self.count = torch.zeros((), device=self.device), 0
        return mean


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` made concrete for ``device``; an unknown precision is a ``UsageError``."""
    if precision == "auto":
        return "bf16-mixed" if device.type == "cuda" else "32-true"
    if precision not in PRECISIONS:
        raise UsageError(f"trainer.precision={precision}: expected auto or one of {', '.join(PRECISIONS)}")
    return precision


def prepare_batch(batch: tuple[torch.Tensor, torch.Tensor], device: torch.device, mean: float, std: float,
                  channels_last: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """float16 spectrograms from HDF5 -> normalised (batch, 1, mels, frames) float32 on ``device``, and labels."""
    features, labels = batch
    features = ((features.to(device, non_blocking=True).float() - mean) / std).unsqueeze(1)
    if channels_last:
        features = features.contiguous(memory_format=torch.channels_last)
    return features, labels.to(device, non_blocking=True)


def console_level(name: str) -> int:
    """A logging level by name (``debug``, ``INFO``, ...); a ``UsageError`` for any other word."""
    level = logging.getLevelName(name.upper())
    if not isinstance(level, int):
        raise UsageError(f"log_level={name}: expected DEBUG, INFO, WARNING or ERROR")
    return level


def save_atomically(state: dict[str, Any], path: Path) -> Path:
    """``torch.save`` to a temporary file beside ``path``, then rename: a reader never sees half a file."""
    partial_path = path.with_name(f".{path.name}.partial")
    torch.save(state, partial_path)
    partial_path.replace(path)
    return path


class Loop:
    """Model, optimizer, data and run state for one run, built from config."""

    def __init__(self, config: DictConfig, extra_callbacks: Sequence[LoopCallback] = ()) -> None:
        self.config = config
        self.device = resolve_device(config.trainer.device)
        self.precision = resolve_precision(str(config.trainer.precision), self.device)
        self.autocast_dtype = AUTOCAST_DTYPES.get(self.precision)
        self.checkpoint_dir = Path(config.paths.checkpoint_dir)
        path = ensure_dataset(Path(config.data.path), config.data.clips)
        self.datasets = {split: ClipBatches(path, split) for split in ("train", "val", "test")}
        self.mean, self.std = self.datasets["train"].normalisation
        self.train_order = BatchOrder(len(self.datasets["train"]), config.data.batch_size, shuffle=True,
                                      seed=config.seed)
        self.steps_per_epoch = len(self.train_order)
        self.model = MelClassifier(list(config.model.channels), len(CLASSES), config.model.dropout).to(self.device)
        if config.trainer.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.model.lr,
                                           weight_decay=config.model.weight_decay)
        self.scheduler = warmup_cosine_scheduler(self.optimizer, self.total_steps, config.model.warmup_fraction)
        self.scaler = torch.amp.GradScaler(self.device.type) if self.autocast_dtype == torch.float16 else None
        self.callbacks: list[LoopCallback] = [instantiate(entry) for entry in config.callbacks.values()
                                              if entry is not None and "_target_" in entry]
        self.callbacks += extra_callbacks
        self.signals = StopSignals()
        self.step, self.best_value, self.val_value = 0, None, None
        self.best_checkpoint: str | None = None
        self.first_loss: torch.Tensor | None = None
        self.last_loss: torch.Tensor | None = None
        self.samples = 0
        self.running = RunningMean(self.device)
        self.train_seconds = 0.0
        self.started = time.perf_counter()
        self.start_step = 0
        self.metrics: MetricsLog = open_metrics_log(config.logger, Path(config.paths.output_dir) / "logs")

    @property
    def total_steps(self) -> int:
        by_epochs = self.steps_per_epoch * self.config.trainer.max_epochs
        max_steps = self.config.trainer.max_steps
        return min(by_epochs, max_steps) if max_steps > 0 else by_epochs

    @property
    def epoch(self) -> int:
        """Epochs completed (where the next step starts)."""
        return self.step // self.steps_per_epoch

    @property
    def current_epoch(self) -> int:
        """The epoch the last step belonged to, from 0."""
        return max(self.step - 1, 0) // self.steps_per_epoch

    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "step": self.step, "best_value": self.best_value, "val_value": self.val_value,
                "best_checkpoint": self.best_checkpoint, "rng": rng_state()}

    def load(self, path: Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state["scaler"] is not None:
            self.scaler.load_state_dict(state["scaler"])
        self.step = self.start_step = state["step"]
        self.best_value, self.val_value = state["best_value"], state["val_value"]
        self.best_checkpoint = state["best_checkpoint"]  # in the earlier run's directory until this run improves
        restore_rng_state(state["rng"])
        log.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch + 1)

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                              enabled=self.autocast_dtype is not None)

    def prepare(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return prepare_batch(batch, self.device, self.mean, self.std, self.config.trainer.channels_last)

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """One optimizer step; the detached loss stays on the device."""
        features, labels = self.prepare(batch)
        with self.autocast():
            loss = functional.cross_entropy(self.model(features), labels)
        self.optimizer.zero_grad(set_to_none=True)
        clip = self.config.trainer.gradient_clip_val
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            self._clip(clip)
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self._clip(clip)
            self.optimizer.step()
        self.scheduler.step()
        return loss.detach()

    def _clip(self, max_norm: float | None) -> None:
        if max_norm:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)

    @torch.no_grad()
    def evaluate(self, split: str) -> dict[str, float]:
        """Accuracy and mean loss over a split; one host sync at the end."""
        self.model.eval()
        dataset = self.datasets[split]
        order = BatchOrder(len(dataset), self.config.data.batch_size, shuffle=False)
        correct = torch.zeros((), device=self.device)
        total_loss = torch.zeros((), device=self.device)
        try:
            for batch in loader(dataset, order, 0, pin_memory=False):
                features, labels = self.prepare(batch)
                with self.autocast():
                    logits = self.model(features)
                total_loss += functional.cross_entropy(logits.float(), labels, reduction="sum")
                correct += (logits.argmax(dim=1) == labels).sum()
        finally:
            dataset.close()
        self.model.train()
        accuracy, loss = (torch.stack([correct, total_loss]) / len(dataset)).tolist()
        return {f"{split}/acc": accuracy, f"{split}/loss": loss}

    def validate(self) -> None:
        """Validate (and test, if asked); keep the best checkpoint by the monitored metric."""
        metrics = self.evaluate("val")
        if self.config.trainer.test_every_validation:
            metrics.update(self.evaluate("test"))
        self.val_value = metrics[self.config.monitor.metric]
        if self.best_value is None or self._better(self.val_value, self.best_value):
            self.best_value, self.best_checkpoint = self.val_value, str(self.checkpoint_dir / BEST)
            save_atomically(self.state(), self.checkpoint_dir / BEST)
        self.metrics.write(self.step, self.current_epoch, metrics)
        log.info("step %d %s", self.step, " ".join(f"{name}={value:.4f}" for name, value in metrics.items()))
        for callback in self.callbacks:
            callback.on_validation_end(self.step, metrics)

    def _better(self, value: float, best: float) -> bool:
        return value > best if str(self.config.monitor.mode) == "max" else value < best

    def interrupt(self) -> RunInterrupted:
        checkpoint = save_atomically(self.state(), self.checkpoint_dir / interrupted_name(self.step))
        return RunInterrupted(self.signals.received or 0, self.step, checkpoint)

    def run(self) -> None:
        """Train until ``max_epochs`` or ``max_steps``; raises ``RunInterrupted`` on a signal."""
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        train_loader = loader(self.datasets["train"], self.train_order, self.config.data.num_workers,
                              pin_memory=self.device.type == "cuda")
        self.started = time.perf_counter()
        for callback in self.callbacks:
            callback.on_train_start(self.step)
        with self.signals:
            try:
                while self.step < self.total_steps:
                    self.train_order.set_position(self.epoch, self.step % self.steps_per_epoch)
                    self.train_epoch(train_loader)
            finally:
                if self.device.type == "cuda":
                    torch.cuda.synchronize(self.device)
                self.train_seconds = time.perf_counter() - self.started

    def train_epoch(self, train_loader: torch.utils.data.DataLoader) -> None:
        """The rest of the current epoch, then its validation and ``last.ckpt``."""
        for batch in train_loader:
            self.record_step(self.train_step(batch), len(batch[1]))
            if self.step >= self.total_steps or self.step % self.steps_per_epoch == 0:
                break
            self.between_steps()
        self.end_epoch()

    def record_step(self, loss: torch.Tensor, batch_size: int) -> None:
        """Count the step and keep its loss on the device; log once per interval."""
        self.step += 1
        self.samples += batch_size
        if self.first_loss is None:
            self.first_loss = loss
        self.last_loss = loss
        self.running.add(loss)
        if self.step % self.config.trainer.log_every_n_steps == 0:
            self.log_interval(self.running.take())
        for callback in self.callbacks:
            callback.on_train_batch_end(self.step)

    def between_steps(self) -> None:
        """Mid-epoch validation when asked for, and the stop a signal asked for."""
        trainer = self.config.trainer
        if trainer.validate and trainer.val_every_n_steps and self.step % trainer.val_every_n_steps == 0:
            self.validate()
        if self.signals.received:
            raise self.interrupt()

    def end_epoch(self) -> None:
        if self.config.trainer.validate:
            self.validate()
        save_atomically(self.state(), self.checkpoint_dir / LAST)
        if self.signals.received:
            raise self.interrupt()

    def log_interval(self, mean_loss: torch.Tensor) -> None:
        """The one host sync of a logging interval."""
        loss = float(mean_loss)
        learning_rate = self.scheduler.get_last_lr()[0]
        self.metrics.write(self.step, self.current_epoch, {"train/loss": loss, "lr": learning_rate})
        log.info("epoch %d/%d step %d train/loss=%.4f lr=%.2e (%.1f s)", self.current_epoch + 1,
                 self.config.trainer.max_epochs, self.step, loss, learning_rate, time.perf_counter() - self.started)

    def figures(self) -> RunFigures:
        last = self.checkpoint_dir / LAST
        return RunFigures(
            device=self.device, world_size=1, precision=self.precision, epochs=self.epoch,
            start_step=self.start_step, steps=self.step, train_seconds=self.train_seconds, samples=self.samples,
            first_loss=float(self.first_loss) if self.first_loss is not None else None,
            last_loss=float(self.last_loss) if self.last_loss is not None else None,
            val_value=self.val_value, best_checkpoint=self.best_checkpoint,
            resume_checkpoint=str(last) if last.is_file() else None)


def _identity(config: DictConfig, trainer_name: str) -> RunIdentity:
    return RunIdentity(trainer_name, config.monitor.metric, config.resume, lineage_first_loss(config.resume))


def _train(loop: Loop, identity: RunIdentity, summary_path: Path, started: float) -> dict[str, Any]:
    ckpt_path = loop.config.ckpt_path
    if ckpt_path:
        loop.load(require_readable(ckpt_path))
    try:
        loop.run()
    except RunInterrupted as stop:
        extra = {"signal": stop.signum, "resume_checkpoint": str(stop.checkpoint)}
        return write_summary(summary_path, summary_record(identity, loop.figures(), time.perf_counter() - started,
                                                          "interrupted", extra))
    test = loop.evaluate("test") if loop.config.trainer.validate else {}
    extra = {"test_accuracy": test.get("test/acc")}
    return write_summary(summary_path, summary_record(identity, loop.figures(), time.perf_counter() - started,
                                                      extra=extra))


def fit(config: DictConfig, trainer_name: str, extra_callbacks: Sequence[LoopCallback] = ()) -> dict[str, Any]:
    """Build data, model and loop from ``config``, train, write ``summary.json`` and return it.

    An unreadable ``ckpt_path`` is a ``UsageError`` before anything is built; a signal ends
    the run with ``status: interrupted``; an exception writes ``status: failed`` and raises
    ``RunFailed``.
    """
    started = time.perf_counter()
    silence_known_warnings()
    route_library_logs()
    log.setLevel(console_level(str(config.log_level)))
    if config.ckpt_path:
        require_readable(config.ckpt_path)
    resolve_precision(str(config.trainer.precision), resolve_device(config.trainer.device))
    output_dir = Path(config.paths.output_dir)
    identity = _identity(config, trainer_name)
    torch.manual_seed(config.seed)
    try:
        loop = Loop(config, extra_callbacks)
    except Exception as error:
        raise record_failure(output_dir, partial(summary_before_training, output_dir, identity), error) from error
    try:
        return _train(loop, identity, output_dir / "summary.json", started)
    except Exception as error:
        def write(extra: dict[str, Any]) -> dict[str, Any]:
            record = summary_record(identity, loop.figures(), time.perf_counter() - started, "failed", extra)
            return write_summary(output_dir / "summary.json", record)

        raise record_failure(output_dir, write, error) from error
