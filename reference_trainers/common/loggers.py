"""One function from logger config to a Lightning logger, and the check that its package is there.

``kind: csv`` (default, no extra package), ``tensorboard`` (the ``tensorboard`` extra),
``wandb`` (the ``wandb`` extra; ``offline: true`` writes locally for a later
``wandb sync``) or ``none``. A missing package is a one-line error naming the extra,
raised before torch is imported; it never falls back to another logger.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reference_trainers.common.errors import UsageError

if TYPE_CHECKING:
    from lightning.pytorch.loggers import Logger

# logger kind -> (extra in pyproject.toml, packages any one of which will do)
EXTRAS = {"tensorboard": ("tensorboard", ("tensorboard", "tensorboardX")), "wandb": ("wandb", ("wandb",))}


def _kind(config: Mapping[str, Any]) -> str:
    kind = config.get("kind", "csv")
    return str(getattr(kind, "value", kind))


def require_logger_packages(config: Mapping[str, Any]) -> None:
    """Raise ``UsageError`` if the configured logger's package is not installed."""
    kind = _kind(config)
    if kind not in EXTRAS:
        return
    extra, packages = EXTRAS[kind]
    if not any(importlib.util.find_spec(package) for package in packages):
        raise UsageError(f"logger={kind} needs the '{packages[0]}' package, which is not installed: "
                         f"install the '{extra}' extra (pip install '.[{extra}]') or choose another logger")


def build_logger(config: Mapping[str, Any], save_dir: str) -> Logger | None:
    """The logger ``config`` describes, writing under ``save_dir``; None for ``kind: none``."""
    kind = _kind(config)
    require_logger_packages(config)
    name = config.get("name", "")
    if kind == "none":
        return None
    if kind == "csv":
        from lightning.pytorch.loggers import CSVLogger

        return CSVLogger(save_dir=save_dir, name=name, version="")
    if kind == "tensorboard":
        from lightning.pytorch.loggers import TensorBoardLogger

        return TensorBoardLogger(save_dir=save_dir, name=name, version="", default_hp_metric=False)
    if kind == "wandb":
        from lightning.pytorch.loggers import WandbLogger

        return WandbLogger(project=config.get("project", "reference-trainers"), name=name or None,
                           save_dir=save_dir, offline=bool(config.get("offline", False)))
    raise UsageError(f"unknown logger kind '{kind}' (expected csv, tensorboard, wandb or none)")
