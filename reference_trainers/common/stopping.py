"""Stopping on SIGTERM or SIGINT with a checkpoint to resume from, and restoring RNG state on resume.

The handlers are installed when training starts and removed when it ends, so
importing this module changes nothing. A signal only sets a flag; at the end of
the current training batch every rank agrees (any rank signalled means all stop),
saves ``interrupted-step<N>.ckpt`` (rank 0 writes) and raises ``RunInterrupted``.
A second SIGINT while waiting interrupts at once, as Ctrl-C usually does.
"""

from __future__ import annotations

import random
import signal
from pathlib import Path
from types import FrameType
from typing import Any

import lightning.pytorch as pl
import torch

from reference_trainers.common.checkpoints import interrupted_name

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(Exception):
    """Training stopped on a signal after saving ``checkpoint``."""

    def __init__(self, signum: int, step: int, checkpoint: Path) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name} at step {step}")
        self.signum, self.step, self.checkpoint = signum, step, checkpoint


class GracefulStop(pl.Callback):
    """Turns SIGTERM/SIGINT into a resumable checkpoint and ``RunInterrupted`` at the next batch end."""

    def __init__(self, checkpoint_dir: str) -> None:
        self.checkpoint_dir = Path(checkpoint_dir)
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.received == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # After Lightning installed its own SIGTERM handler, so this one is the one that runs.
        self._previous = {signum: signal.signal(signum, self._handle) for signum in SIGNALS}

    def _restore_handlers(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._restore_handlers()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._restore_handlers()

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
        state = {"python": list(random.getstate()[1]), "python_version": random.getstate()[0],
                 "torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        random.setstate((state_dict["python_version"], tuple(state_dict["python"]), None))
        torch.set_rng_state(state_dict["torch"])
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
