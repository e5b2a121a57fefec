"""Per-step metrics to ``<run dir>/logs``: ``metrics.csv`` (``logger=csv``), TensorBoard, or nothing."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reference_trainers.common.errors import UsageError

COLUMNS = ("step", "epoch", "train/loss", "lr", "val/acc", "val/loss", "test/acc", "test/loss")


class MetricsLog:
    """Discards metrics (``logger=none``)."""

    def write(self, step: int, epoch: int, metrics: Mapping[str, float]) -> None:
        """Record ``metrics`` at ``step``."""


class CsvMetrics(MetricsLog):
    """One row per write, appended (flushed at once, so a stopped run keeps its rows)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "metrics.csv"
        with open(self.path, "w", newline="") as handle:
            csv.writer(handle).writerow(COLUMNS)

    def write(self, step: int, epoch: int, metrics: Mapping[str, float]) -> None:
        row = {"step": step, "epoch": epoch, **metrics}
        with open(self.path, "a", newline="") as handle:
            csv.writer(handle).writerow([row.get(column, "") for column in COLUMNS])


class TensorBoardMetrics(MetricsLog):
    def __init__(self, directory: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(directory))

    def write(self, step: int, epoch: int, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self.writer.add_scalar(name, value, step)
        self.writer.flush()


def open_metrics_log(config: Mapping[str, Any], directory: Path) -> MetricsLog:
    kind = str(getattr(config["kind"], "value", config["kind"]))
    if kind == "csv":
        return CsvMetrics(directory)
    if kind == "tensorboard":
        return TensorBoardMetrics(directory)
    if kind == "none":
        return MetricsLog()
    raise UsageError(f"logger={kind} is not supported by the plain-PyTorch mel trainer (csv, tensorboard or none)")
