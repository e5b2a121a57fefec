"""Structured configs shared by every trainer: what each key is and which type it takes.

Registered in Hydra's ConfigStore, so composing a config checks every value and
refuses unknown keys before torch is imported. A trainer extends ``RunConfig``
with its own ``model`` and ``data`` dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from omegaconf import MISSING


class MonitorMode(StrEnum):
    min = "min"
    max = "max"


class LoggerKind(StrEnum):
    csv = "csv"
    tensorboard = "tensorboard"
    wandb = "wandb"
    none = "none"


@dataclass
class MonitorConfig:
    """The validation metric that picks the best checkpoint and ends up in ``summary.json``."""

    metric: str = MISSING
    mode: MonitorMode = MonitorMode.max


@dataclass
class PathsConfig:
    log_dir: str = "outputs"
    output_dir: str = MISSING
    checkpoint_dir: str = MISSING


@dataclass
class LoggerConfig:
    kind: LoggerKind = LoggerKind.csv
    name: str = ""
    project: str = "reference-trainers"
    offline: bool = False


@dataclass
class TrainerConfig:
    """The ``lightning.pytorch.Trainer`` arguments the trainers use; ``Any`` where Lightning takes int or float."""

    _target_: str = "lightning.pytorch.Trainer"
    accelerator: str = "auto"
    devices: Any = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    precision: str = "32-true"
    max_epochs: int = 10
    min_epochs: int | None = None
    max_steps: int = -1
    val_check_interval: Any = None
    check_val_every_n_epoch: int | None = 1
    limit_train_batches: Any = None
    limit_val_batches: Any = None
    num_sanity_val_steps: int | None = None
    fast_dev_run: Any = False
    accumulate_grad_batches: int = 1
    deterministic: Any = None
    benchmark: bool | None = None
    gradient_clip_val: float | None = None
    log_every_n_steps: int | None = None
    enable_progress_bar: bool = True
    enable_model_summary: bool = True
    use_distributed_sampler: bool = False
    detect_anomaly: bool = False


@dataclass
class RunConfig:
    """The keys every trainer's ``train.yaml`` has; ``model`` and ``data`` are the trainer's own."""

    task_name: str = MISSING
    seed: int = 1234
    # A run directory to continue (see reference_trainers.common.resume), or null.
    resume: str | None = None
    # A checkpoint file to start from (a warm start in this run directory), or null.
    ckpt_path: str | None = None
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    callbacks: dict[str, Any] = field(default_factory=dict)
    model: Any = MISSING
    data: Any = MISSING
