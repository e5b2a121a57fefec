"""Stopping a Lightning run on SIGTERM or SIGINT with a checkpoint to resume from, and restoring RNG state.

The handlers (``reference_trainers.common.signals.StopSignals``) are installed when
training starts and removed when it ends, so importing this module changes nothing.
A signal only sets a flag; at the end of the current training batch every rank
agrees (any rank signalled means all stop), saves ``interrupted-step<N>.ckpt``
(rank 0 writes) and raises ``RunInterrupted``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch

from reference_trainers.common.checkpoints import interrupted_name
from reference_trainers.common.signals import RunInterrupted, StopSignals, restore_rng_state, rng_state


class GracefulStop(pl.Callback):
    """Turns SIGTERM/SIGINT into a resumable checkpoint and ``RunInterrupted`` at the next batch end."""

    def __init__(self, checkpoint_dir: str) -> None:
        self.checkpoint_dir = Path(checkpoint_dir)
        self.signals = StopSignals()

    @property
    def received(self) -> int | None:
        return self.signals.received

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # After Lightning installed its own SIGTERM handler, so this one is the one that runs.
        self.signals.install()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.signals.restore()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self.signals.restore()

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        signum = self.received or 0
        if trainer.world_size > 1:  # any rank signalled: every rank stops at this step
            signum = int(trainer.strategy.reduce(torch.tensor(signum, device=pl_module.device), reduce_op="max"))
        if signum == 0:
            return
        checkpoint = self.checkpoint_dir / interrupted_name(trainer.global_step)
        trainer.save_checkpoint(checkpoint, weights_only=False)
        raise RunInterrupted(signum, trainer.global_step, checkpoint)


class RngState(pl.Callback):
    """Saves the Python and torch random states in each checkpoint and restores them on resume."""

    def state_dict(self) -> dict[str, Any]:
        return rng_state()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        restore_rng_state(state_dict)
