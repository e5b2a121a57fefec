"""The contrast-weighted curriculum sampler: easy samples first, hard ones as training advances.

Each epoch draws ``epoch_size`` distinct indices from the whole training pool,
without replacement, with weight ``exp(strength * (1 - 2 * progress) * (ease_rank - 0.5))``:
at progress 0 the easiest samples are about ``e ** strength`` times as likely as the
hardest, at 0.5 all are equal, at 1 the hardest are favoured. ``ease_rank`` is a
sample's ease ranked over the pool, in [0, 1]. Progress is the training step at
which the epoch began over the run's total steps, fed by ``CurriculumCallback``.

Every rank draws the same indices (the generator is seeded by seed and epoch)
and keeps every ``world_size``-th one from its ``rank``, so shards are disjoint.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class ContrastWeightedSampler(Sampler[int]):
    """Indices into the training pool for one rank, drawn by curriculum weight, reshuffled per epoch by seed."""

    def __init__(self, ease: torch.Tensor, epoch_size: int, seed: int, batch_size: int, strength: float = 3.0,
                 rank: int = 0, world_size: int = 1) -> None:
        if not 0 < epoch_size <= len(ease):
            raise ValueError(f"epoch_size {epoch_size} must be between 1 and the pool size {len(ease)}")
        self.ease_rank = torch.argsort(torch.argsort(ease)).double() / max(1, len(ease) - 1)
        self.epoch_size, self.seed, self.batch_size, self.strength = epoch_size, seed, batch_size, strength
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self.step, self.total_steps = 0, 1
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning before each epoch."""
        self.epoch = epoch

    def set_step(self, step: int, total_steps: int) -> None:
        """The current training step and the run's total (from ``CurriculumCallback``)."""
        self.step, self.total_steps = step, max(1, int(total_steps))

    def start_at(self, epoch: int, skip: int) -> None:
        """Make the next pass over ``epoch`` begin after its first ``skip`` indices (a resumed run)."""
        self.epoch, self._skip = epoch, skip

    def progress(self) -> float:
        """Where the curriculum is, in [0, 1]: the step this epoch began at over the total."""
        epoch_start = self.step - self._skip // self.batch_size
        return min(1.0, max(0.0, epoch_start / self.total_steps))

    def weights(self, progress: float) -> torch.Tensor:
        return torch.exp(self.strength * (1 - 2 * progress) * (self.ease_rank - 0.5))

    def __len__(self) -> int:
        return self.epoch_size // self.world_size

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        drawn = torch.multinomial(self.weights(self.progress()), len(self) * self.world_size, replacement=False,
                                  generator=generator)
        shard = drawn[self.rank::self.world_size]
        skip, self._skip = self._skip, 0
        return iter(shard[skip:].tolist())
