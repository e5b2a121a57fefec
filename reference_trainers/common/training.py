"""Assembling a Lightning run from config: callbacks, logger, trainer, fit, summary with its status."""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from reference_trainers.common.checkpoints import require_readable
from reference_trainers.common.console import route_library_logs, silence_known_warnings
from reference_trainers.common.errors import one_line
from reference_trainers.common.loggers import build_logger
from reference_trainers.common.stopping import GracefulStop, RngState, RunInterrupted
from reference_trainers.common.summary import RunSummary


def build_callbacks(config: DictConfig) -> list[pl.Callback]:
    """Every entry of ``config.callbacks`` that has a ``_target_``, instantiated."""
    return [instantiate(entry) for entry in config.get("callbacks", {}).values()
            if entry is not None and "_target_" in entry]


def _lineage_first_loss(resumed_from: str | None) -> float | None:
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


def _record_failure(output_dir: Path, write_summary: Callable[[dict[str, Any]], dict[str, Any]],
                    error: BaseException, is_global_zero: bool = True) -> RunFailed:
    """Write the traceback beside the summary; the exception that carries the failed summary."""
    traceback_path = output_dir / "traceback.txt"
    if is_global_zero:
        output_dir.mkdir(parents=True, exist_ok=True)
        traceback_path.write_text("".join(traceback.format_exception(error)))
    return RunFailed(write_summary({"error": one_line(error), "traceback": str(traceback_path)}))


def _summary_before_training(config: DictConfig, trainer_name: str, extra: dict[str, Any]) -> dict[str, Any]:
    summary = {"trainer": trainer_name, "status": "failed", "steps": 0, "val_metric": config.monitor.metric,
               "val_value": None, "resumed_from": config.resume, **extra}
    (Path(config.paths.output_dir) / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _assemble(config: DictConfig, trainer_name: str,
              extra_callbacks: Sequence[pl.Callback]) -> tuple[pl.Trainer, pl.LightningModule,
                                                               pl.LightningDataModule, RunSummary]:
    output_dir = Path(config.paths.output_dir)
    pl.seed_everything(config.seed, workers=True, verbose=False)
    datamodule = instantiate(config.data)
    model = instantiate(config.model)
    summary = RunSummary(trainer_name, config.monitor.metric, str(output_dir), resumed_from=config.resume,
                         lineage_first_loss=_lineage_first_loss(config.resume),
                         checkpoint_dir=config.paths.checkpoint_dir)
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
        raise _record_failure(output_dir, partial(_summary_before_training, config, trainer_name), error) from error
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    except RunInterrupted as stop:
        written = summary.write(trainer, time.perf_counter() - started, "interrupted",
                                {"signal": stop.signum, "resume_checkpoint": str(stop.checkpoint)})
        _wait_for_every_rank()
        return written
    except Exception as error:
        write = partial(summary.write, trainer, time.perf_counter() - started, "failed")
        raise _record_failure(output_dir, write, error, trainer.is_global_zero) from error
    return summary.write(trainer, time.perf_counter() - started)
