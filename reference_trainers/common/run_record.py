"""``summary.json`` and the failure record, without Lightning: shared by the Lightning and plain trainers.

``status`` is ``completed``, ``interrupted`` (stopped by a signal; ``resume_checkpoint``
is where ``resume=`` continues) or ``failed`` (``error`` says why, ``traceback`` where
the traceback is). A resumed run records ``resumed_from`` and ``lineage_first_train_loss``,
the first loss of the run it continues (or of that run's own origin).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from reference_trainers.common.errors import one_line


@dataclass
class RunFigures:
    """What a trainer measured, in the terms of ``summary.json``."""

    device: torch.device
    world_size: int
    precision: str
    epochs: int
    start_step: int
    steps: int
    train_seconds: float
    samples: int
    first_loss: float | None
    last_loss: float | None
    val_value: float | None
    best_checkpoint: str | None
    resume_checkpoint: str | None


@dataclass
class RunIdentity:
    """Which trainer ran, what it monitored, and the run it continues (if any)."""

    trainer_name: str
    monitor: str
    resumed_from: str | None = None
    lineage_first_loss: float | None = None


def summary_record(identity: RunIdentity, figures: RunFigures, wall_seconds: float, status: str = "completed",
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``summary.json`` content: the same keys for every trainer."""
    seconds = figures.train_seconds
    return {
        "trainer": identity.trainer_name,
        "status": status,
        "device": device_name(figures.device),
        "world_size": figures.world_size,
        "precision": figures.precision,
        "torch": torch.__version__,
        "epochs": figures.epochs,
        "start_step": figures.start_step,
        "steps": figures.steps,
        "wall_seconds": round(wall_seconds, 3),
        "train_seconds": round(seconds, 3),
        "samples_per_second": round(figures.samples / seconds, 1) if seconds else None,
        "first_train_loss": figures.first_loss,
        "last_train_loss": figures.last_loss,
        "val_metric": identity.monitor,
        "val_value": figures.val_value,
        "best_checkpoint": figures.best_checkpoint,
        "resume_checkpoint": figures.resume_checkpoint,
        "resumed_from": identity.resumed_from,
        "lineage_first_train_loss": identity.lineage_first_loss if identity.resumed_from else figures.first_loss,
        "peak_gpu_memory_mib": peak_gpu_memory_mib(figures.device),
        **(extra or {}),
    }


def write_summary(path: Path, summary: dict[str, Any]) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def peak_gpu_memory_mib(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type


def lineage_first_loss(resumed_from: str | None) -> float | None:
    """The first train loss of the run a resumed run continues (or of that run's own origin)."""
    if not resumed_from:
        return None
    path = Path(resumed_from) / "summary.json"
    if not path.is_file():
        return None
    previous = json.loads(path.read_text())
    return previous.get("lineage_first_train_loss", previous.get("first_train_loss"))


class RunFailed(Exception):
    """Training raised; ``summary`` is what was written to ``summary.json`` (``status: failed``)."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__(summary["error"])
        self.summary = summary


def record_failure(output_dir: Path, write: Callable[[dict[str, Any]], dict[str, Any]],
                   error: BaseException, is_global_zero: bool = True) -> RunFailed:
    """Write the traceback beside the summary; the exception that carries the failed summary."""
    traceback_path = output_dir / "traceback.txt"
    if is_global_zero:
        output_dir.mkdir(parents=True, exist_ok=True)
        traceback_path.write_text("".join(traceback.format_exception(error)))
    return RunFailed(write({"error": one_line(error), "traceback": str(traceback_path)}))


def summary_before_training(output_dir: Path, identity: RunIdentity, extra: dict[str, Any]) -> dict[str, Any]:
    """The summary of a run that failed before its first step."""
    summary = {"trainer": identity.trainer_name, "status": "failed", "steps": 0, "val_metric": identity.monitor,
               "val_value": None, "resumed_from": identity.resumed_from, **extra}
    return write_summary(output_dir / "summary.json", summary)
