"""Learning-rate schedule: linear warmup, then cosine decay to zero at the last step.

The schedule is a function of (step, total steps), and the total is whatever the
current run's config gives (``trainer.estimated_stepping_batches``). A resumed run
with a larger ``trainer.max_epochs`` keeps its step and follows the curve of the
new total from there on: the learning rate rises a little at the resume step
(the cosine is stretched), then decays to zero at the new last step. Nothing of
the old total is stored in checkpoints, since ``LambdaLR`` saves only the step
for a plain function.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


def warmup_cosine(total_steps: int, warmup_fraction: float) -> Callable[[int], float]:
    """The LR multiplier at each step: 0 -> 1 over the warmup, then 1 -> 0 along a half cosine."""
    total = max(1, int(total_steps))
    warmup = max(1, round(total * warmup_fraction))

    def multiplier(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return multiplier


def warmup_cosine_scheduler(optimizer: torch.optim.Optimizer, total_steps: int,
                            warmup_fraction: float) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(total_steps, warmup_fraction))
