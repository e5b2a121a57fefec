"""A data loader that can start part-way through an epoch, so a resumed run sees exactly the data it would have.

The order of epoch ``e`` is a permutation seeded by ``(seed, e)``, sharded by rank,
so the position within an epoch (batches already trained on) is all the state
there is. ``ResumableDataModule`` keeps it in the data module's checkpoint state:
Lightning restores a data module before it asks for the training loader, which
is earlier than it restores loader state (and, when the model calls
``trainer.estimated_stepping_batches``, it never restores loader state at all).
The loader has ``state_dict``/``load_state_dict`` too, so Lightning sees it as
resumable and does not warn about resuming mid-epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


class ResumableSampler(Sampler[int]):
    """Indices ``0 .. size-1`` for one rank: shuffled per epoch (or in order), optionally skipping a prefix."""

    def __init__(self, size: int, seed: int, shuffle: bool = True, rank: int = 0, world_size: int = 1,
                 even: bool = True) -> None:
        self.size, self.seed, self.shuffle = size, seed, shuffle
        self.rank, self.world_size, self.even = rank, world_size, even
        self.epoch = 0
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning before each epoch."""
        self.epoch = epoch

    def start_at(self, epoch: int, skip: int) -> None:
        """Make the next pass over ``epoch`` begin after its first ``skip`` indices."""
        self.epoch, self._skip = epoch, skip

    def _order(self) -> torch.Tensor:
        if not self.shuffle:
            return torch.arange(self.size)
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return torch.randperm(self.size, generator=generator)

    def __len__(self) -> int:
        return self.size // self.world_size if self.even else len(range(self.rank, self.size, self.world_size))

    def __iter__(self) -> Iterator[int]:
        shard = self._order()[self.rank::self.world_size][: len(self)]
        skip, self._skip = self._skip, 0
        return iter(shard[skip:].tolist())


class ResumableLoader(DataLoader):
    """A training ``DataLoader`` whose state is its position in the epoch, read from ``position()``.

    ``position`` returns how many batches of the current epoch have been trained on.
    """

    def __init__(self, dataset: Dataset, sampler: ResumableSampler, batch_size: int,
                 position: Callable[[], int], collate_fn: Callable[[list], Any] | None = None) -> None:
        super().__init__(dataset, batch_size=batch_size, sampler=sampler, drop_last=True, collate_fn=collate_fn)
        self.position = position

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.sampler.epoch, "batches": self.position()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if 0 < state["batches"] < len(self):
            self.sampler.start_at(state["epoch"], state["batches"] * self.batch_size)


class ResumableDataModule(pl.LightningDataModule):
    """A data module whose training loader continues, after a resume, at the batch where the run stopped."""

    def __init__(self) -> None:
        super().__init__()
        self._train_loader: ResumableLoader | None = None
        self._restored_position: dict[str, Any] | None = None

    def shard(self) -> dict[str, int]:
        """This process's ``rank`` and ``world_size`` (none outside a trainer)."""
        trainer = self.trainer
        return {"rank": trainer.global_rank, "world_size": trainer.world_size} if trainer is not None else {}

    def resumable_loader(self, dataset: Dataset, seed: int, batch_size: int, sampler: Sampler[int] | None = None,
                         collate_fn: Callable[[list], Any] | None = None) -> ResumableLoader:
        """A shuffled, rank-sharded training loader, positioned where a restored checkpoint left off.

        ``sampler`` replaces the default ``ResumableSampler``; it needs the same ``epoch``,
        ``set_epoch`` and ``start_at``.
        """
        sampler = sampler if sampler is not None else ResumableSampler(len(dataset), seed, **self.shard())
        loader = ResumableLoader(dataset, sampler, batch_size, position=self._batches_trained_this_epoch,
                                 collate_fn=collate_fn)
        if self._restored_position is not None:
            loader.load_state_dict(self._restored_position)
            self._restored_position = None
        self._train_loader = loader
        return loader

    def _batches_trained_this_epoch(self) -> int:
        return self.trainer.fit_loop.epoch_loop.batch_progress.current.processed

    def state_dict(self) -> dict[str, Any]:
        return {"train_position": self._train_loader.state_dict()} if self._train_loader is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restored_position = state_dict.get("train_position")
