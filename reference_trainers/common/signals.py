"""Stopping on SIGTERM or SIGINT, and the random state a resumed run restores, without Lightning.

``StopSignals`` installs its handlers only while training runs: a signal sets
``received``, and the training loop (plain, or Lightning's through
``reference_trainers.common.stopping``) saves a checkpoint and raises ``RunInterrupted``
at the end of the current batch. A second SIGINT interrupts at once, as Ctrl-C usually does.
"""

from __future__ import annotations

import random
import signal
from pathlib import Path
from types import FrameType
from typing import Any

import torch

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(Exception):
    """Training stopped on a signal after saving ``checkpoint``."""

    def __init__(self, signum: int, step: int, checkpoint: Path) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name} at step {step}")
        self.signum, self.step, self.checkpoint = signum, step, checkpoint


class StopSignals:
    """Records SIGTERM/SIGINT in ``received`` between ``install()`` and ``restore()``."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.received == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum

    def install(self) -> None:
        self._previous = {signum: signal.signal(signum, self._handle) for signum in SIGNALS}

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def __enter__(self) -> StopSignals:
        self.install()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore()


def rng_state() -> dict[str, Any]:
    """The Python and torch random states, as saved in a checkpoint."""
    state = {"python": list(random.getstate()[1]), "python_version": random.getstate()[0],
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put back the random states ``rng_state()`` returned."""
    random.setstate((state["python_version"], tuple(state["python"]), None))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
