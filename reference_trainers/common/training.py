"""Assembling a Lightning run from config: callbacks, logger, trainer, fit, summary with its status."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from reference_trainers.common.checkpoints import require_readable
from reference_trainers.common.console import route_library_logs, silence_known_warnings
from reference_trainers.common.loggers import build_logger
from reference_trainers.common.run_record import (
    RunIdentity,
    lineage_first_loss,
    record_failure,
    summary_before_training,
)
from reference_trainers.common.signals import RunInterrupted
from reference_trainers.common.stopping import GracefulStop, RngState
from reference_trainers.common.summary import RunSummary


def build_callbacks(config: DictConfig) -> list[pl.Callback]:
    """Every entry of ``config.callbacks`` that has a ``_target_``, instantiated."""
    return [instantiate(entry) for entry in config.get("callbacks", {}).values()
            if entry is not None and "_target_" in entry]


def _identity(config: DictConfig, trainer_name: str) -> RunIdentity:
    return RunIdentity(trainer_name, config.monitor.metric, config.resume, lineage_first_loss(config.resume))


def _assemble(config: DictConfig, trainer_name: str,
              extra_callbacks: Sequence[pl.Callback]) -> tuple[pl.Trainer, pl.LightningModule,
                                                               pl.LightningDataModule, RunSummary]:
    output_dir = Path(config.paths.output_dir)
    pl.seed_everything(config.seed, workers=True, verbose=False)
    datamodule = instantiate(config.data)
    model = instantiate(config.model)
    identity = _identity(config, trainer_name)
    summary = RunSummary(trainer_name, config.monitor.metric, str(output_dir), resumed_from=identity.resumed_from,
                         lineage_first_loss=identity.lineage_first_loss, checkpoint_dir=config.paths.checkpoint_dir)
    logger = build_logger(config.logger, save_dir=str(output_dir / "logs"))
    callbacks = [*build_callbacks(config), summary, GracefulStop(config.paths.checkpoint_dir), RngState(),
                 *extra_callbacks]
    trainer: pl.Trainer = instantiate(config.trainer, callbacks=callbacks, logger=logger or False,
                                      enable_progress_bar=config.trainer.enable_progress_bar and sys.stdout.isatty())
    if logger is not None:
        logger.log_hyperparams(OmegaConf.to_container(config, resolve=True, enum_to_str=True))
    return trainer, model, datamodule, summary


def _wait_for_every_rank() -> None:
    """Under DDP, no rank exits before rank 0 has written the summary.

    Lightning's launcher kills the whole job, rank 0 included, once a child process
    exits with a non-zero status; children stopped by a signal exit with 128 + N.
    """
    import torch.distributed as distributed

    if distributed.is_available() and distributed.is_initialized():
        distributed.barrier()


def fit(config: DictConfig, trainer_name: str, extra_callbacks: Sequence[pl.Callback] = ()) -> dict[str, Any]:
    """Build data, model and trainer from ``config``, train, write ``summary.json`` and return it.

    An unreadable ``ckpt_path`` is a ``UsageError`` before anything is built; a signal ends
    the run with ``status: interrupted``; an exception writes ``status: failed`` and raises
    ``RunFailed``.
    """
    started = time.perf_counter()
    silence_known_warnings()
    route_library_logs()
    ckpt_path = str(require_readable(config.ckpt_path)) if config.ckpt_path else None
    output_dir = Path(config.paths.output_dir)
    try:
        trainer, model, datamodule, summary = _assemble(config, trainer_name, extra_callbacks)
    except Exception as error:
        before = partial(summary_before_training, output_dir, RunIdentity(trainer_name, config.monitor.metric,
                                                                          config.resume))
        raise record_failure(output_dir, before, error) from error
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    except RunInterrupted as stop:
        written = summary.write(trainer, time.perf_counter() - started, "interrupted",
                                {"signal": stop.signum, "resume_checkpoint": str(stop.checkpoint)})
        _wait_for_every_rank()
        return written
    except Exception as error:
        write = partial(summary.write, trainer, time.perf_counter() - started, "failed")
        raise record_failure(output_dir, write, error, trainer.is_global_zero) from error
    return summary.write(trainer, time.perf_counter() - started)
