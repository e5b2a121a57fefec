"""Assembling a Lightning run from config: callbacks, logger, trainer, fit, summary."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from hydra.utils import instantiate
from lightning.pytorch.callbacks import ModelCheckpoint
from omegaconf import DictConfig, OmegaConf

from reference_trainers.common.loggers import build_logger
from reference_trainers.common.summary import RunSummary


def checkpoint_callback(config: DictConfig) -> ModelCheckpoint:
    """Best-by-monitor plus ``last.ckpt``; also saves when training is interrupted (SIGTERM, Ctrl-C)."""
    return ModelCheckpoint(dirpath=config.paths.checkpoint_dir, monitor=config.monitor.metric,
                           mode=config.monitor.mode, save_last=True, save_on_exception=True,
                           filename="best-{epoch:02d}-{step}")


def fit(config: DictConfig, trainer_name: str, extra_callbacks: Sequence[pl.Callback] = ()) -> dict[str, Any]:
    """Build data, model and trainer from ``config``, train (resuming from ``ckpt_path``), write the summary."""
    started = time.perf_counter()
    pl.seed_everything(config.seed, workers=True)
    datamodule = instantiate(config.data)
    model = instantiate(config.model)
    summary = RunSummary(trainer_name, config.monitor.metric, config.paths.output_dir)
    logger = build_logger(config.logger, save_dir=str(Path(config.paths.output_dir) / "logs"))
    trainer: pl.Trainer = instantiate(config.trainer, callbacks=[checkpoint_callback(config), summary, *extra_callbacks],
                                      logger=logger if logger is not None else False)
    if logger is not None:
        logger.log_hyperparams(OmegaConf.to_container(config, resolve=True))
    trainer.fit(model, datamodule=datamodule, ckpt_path=config.ckpt_path)
    return summary.write(trainer, time.perf_counter() - started)
