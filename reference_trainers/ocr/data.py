"""The synthetic digit-string data: loaders yield indices, images are rendered on the device.

Rendering after the batch reaches its device keeps the input pipeline off the
critical path on a GPU (no workers, no host-to-device image copies) and makes
every sample a pure function of (seed, split, index).
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from reference_trainers.common.sampling import ResumableDataModule, ResumableLoader, ResumableSampler
from reference_trainers.ocr.glyphs import render

# Added to the seed for validation so held-out strings never coincide with training ones.
VALIDATION_SALT = 1_000_003


class IndexDataset(Dataset):
    """The integers ``0 .. size-1``; the default collate turns a batch into a tensor."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        return index


class DigitsDataModule(ResumableDataModule):
    """Train and validation splits of procedurally rendered digit strings."""

    def __init__(self, train_size: int = 50_000, val_size: int = 2_000, batch_size: int = 128,
                 height: int = 32, width: int = 128, noise: float = 0.1, blur: float = 1.0,
                 jitter: float = 0.15, seed: int = 0) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.render_options = {"height": height, "width": width, "noise": noise, "blur": blur, "jitter": jitter}

    def train_dataloader(self) -> ResumableLoader:
        """Shuffled per epoch, sharded by rank, resumable mid-epoch."""
        return self.resumable_loader(IndexDataset(self.hparams.train_size), self.hparams.seed,
                                     self.hparams.batch_size)

    def val_dataloader(self) -> DataLoader:
        """In order; each rank validates its own share."""
        trainer = self.trainer
        shard = {"rank": trainer.global_rank, "world_size": trainer.world_size} if trainer is not None else {}
        sampler = ResumableSampler(self.hparams.val_size, self.hparams.seed, shuffle=False, even=False, **shard)
        return DataLoader(IndexDataset(self.hparams.val_size), batch_size=self.hparams.batch_size, sampler=sampler)

    def on_after_batch_transfer(self, batch: torch.Tensor, dataloader_idx: int) -> dict[str, torch.Tensor]:
        seed = self.hparams.seed
        if self.trainer is not None and not self.trainer.training:
            seed += VALIDATION_SALT
        images, labels, lengths = render(seed, batch, **self.render_options)
        return {"images": images, "labels": labels, "lengths": lengths}
