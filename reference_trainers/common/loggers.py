"""One function from logger config to a Lightning logger.

``kind: csv`` (default, no extra package), ``tensorboard`` (needs tensorboard or
tensorboardX), ``wandb`` (needs wandb, and ``enabled: true``). A missing package is
a clear error that names it, raised before training starts.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers import CSVLogger, Logger


class MissingDependencyError(RuntimeError):
    """The configured logger needs a package that is not installed."""


def _require(kind: str, *packages: str) -> None:
    if not any(importlib.util.find_spec(package) for package in packages):
        names = " or ".join(f"'{package}'" for package in packages)
        raise MissingDependencyError(
            f"logger kind '{kind}' needs the {names} package; install it (pip install {packages[0]}) "
            "or choose another logger (logger=csv)"
        )


def build_logger(config: Mapping[str, Any], save_dir: str) -> Logger | None:
    """The logger ``config`` describes, writing under ``save_dir``; None for ``kind: none``."""
    kind = config.get("kind", "csv")
    name = config.get("name", "")
    if kind == "none":
        return None
    if kind == "csv":
        return CSVLogger(save_dir=save_dir, name=name, version="")
    if kind == "tensorboard":
        _require(kind, "tensorboard", "tensorboardX")
        from lightning.pytorch.loggers import TensorBoardLogger

        return TensorBoardLogger(save_dir=save_dir, name=name, version="", default_hp_metric=False)
    if kind == "wandb":
        return _wandb_logger(config, save_dir)
    raise ValueError(f"unknown logger kind '{kind}' (expected csv, tensorboard, wandb or none)")


def _wandb_logger(config: Mapping[str, Any], save_dir: str) -> Logger | None:
    if not config.get("enabled", False):
        return CSVLogger(save_dir=save_dir, name=config.get("name", ""), version="")
    _require("wandb", "wandb")
    from lightning.pytorch.loggers import WandbLogger

    return WandbLogger(project=config.get("project", "reference-trainers"), name=config.get("name") or None,
                       save_dir=save_dir, offline=config.get("offline", False))
