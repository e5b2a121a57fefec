"""The data module over every synthetic dataset: index loaders, a collate that groups by dataset, on-device rendering.

Loaders yield dataset-local indices grouped by dataset name; images are drawn once
the batch is on its device (as in the OCR trainer), each dataset at its own size.
After the transfer a batch is ``{"labels": (B,), "images": {name: (b, 1, size, size)}}``
with the labels in the order of the groups.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader

from reference_trainers.common.sampling import ResumableDataModule, ResumableSampler
from reference_trainers.multidataset.config import DatasetConfig
from reference_trainers.multidataset.render import ease, render
from reference_trainers.multidataset.sampler import ContrastWeightedSampler
from reference_trainers.ocr.data import IndexDataset

# Added to a dataset's seed for validation, so held-out samples never coincide with training ones.
VALIDATION_SALT = 1_000_003
# Apart from each other, so no two datasets share a random stream.
DATASET_SEED_STRIDE = 7_919


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset's drawing parameters and sizes; ``seed`` is its own (the run seed plus its position)."""

    name: str
    seed: int
    size: int
    contrast_low: float
    contrast_high: float
    noise: float
    train_size: int
    val_size: int

    def ease(self, indices: torch.Tensor) -> torch.Tensor:
        return ease(self.seed, indices, self.contrast_low, self.contrast_high, self.noise)

    def render(self, indices: torch.Tensor, validation: bool) -> tuple[torch.Tensor, torch.Tensor]:
        seed = self.seed + VALIDATION_SALT if validation else self.seed
        return render(seed, indices, self.size, self.contrast_low, self.contrast_high, self.noise)


class GroupByDataset:
    """Collate: indices into the concatenated training pools -> ``{name: local indices}``, datasets in order."""

    def __init__(self, specs: list[DatasetSpec]) -> None:
        self.names = [spec.name for spec in specs]
        self.starts = torch.tensor([0, *torch.tensor([spec.train_size for spec in specs]).cumsum(0).tolist()])

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        flat = torch.tensor(indices)
        owner = torch.bucketize(flat, self.starts[1:], right=True)
        return {name: flat[owner == position] - self.starts[position] for position, name in enumerate(self.names)
                if bool((owner == position).any())}


class NamedBatch:
    """Collate for one dataset's validation loader: ``{name: indices}``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        return {self.name: torch.tensor(indices)}


class MultiDatasetDataModule(ResumableDataModule):
    """Training draws from every dataset's pool through the curriculum sampler; one validation loader per dataset."""

    def __init__(self, datasets: dict[str, dict[str, Any]], batch_size: int = 128, samples_per_epoch: int = 16_384,
                 curriculum: dict[str, float] | None = None, seed: int = 0) -> None:
        super().__init__()
        if not datasets:
            raise ValueError("data.datasets is empty: configure at least one dataset")
        self.save_hyperparameters()
        self.specs = [DatasetSpec(name, seed + position * DATASET_SEED_STRIDE, **{**asdict(DatasetConfig()), **options})
                      for position, (name, options) in enumerate(datasets.items())]
        self.strength = (curriculum or {}).get("strength", 3.0)

    @property
    def train_pool_ease(self) -> torch.Tensor:
        """Every training sample's ease, datasets concatenated in order."""
        return torch.cat([spec.ease(torch.arange(spec.train_size)) for spec in self.specs])

    def train_dataloader(self) -> DataLoader:
        """Curriculum-weighted, sharded by rank, reshuffled per epoch, resumable mid-epoch."""
        ease = self.train_pool_ease
        sampler = ContrastWeightedSampler(ease, self.hparams.samples_per_epoch, self.hparams.seed,
                                          self.hparams.batch_size, self.strength, **self.shard())
        return self.resumable_loader(IndexDataset(len(ease)), self.hparams.seed, self.hparams.batch_size,
                                     sampler=sampler, collate_fn=GroupByDataset(self.specs))

    def val_dataloader(self) -> list[DataLoader]:
        """One per dataset, in order; each rank validates its own share."""
        return [DataLoader(IndexDataset(spec.val_size), batch_size=self.hparams.batch_size,
                           sampler=ResumableSampler(spec.val_size, spec.seed, shuffle=False, even=False, **self.shard()),
                           collate_fn=NamedBatch(spec.name)) for spec in self.specs]

    def on_after_batch_transfer(self, batch: dict[str, torch.Tensor], dataloader_idx: int) -> dict[str, Any]:
        validation = self.trainer is not None and not self.trainer.training
        by_name = {spec.name: spec for spec in self.specs}
        drawn = {name: by_name[name].render(indices, validation) for name, indices in batch.items()}
        return {"labels": torch.cat([labels for _, labels in drawn.values()]),
                "images": {name: images for name, (images, _) in drawn.items()}}
