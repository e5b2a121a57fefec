"""A small CNN that reads a digit at any canvas size, trained on every dataset at once, metrics per dataset."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from reference_trainers.common.schedule import warmup_cosine_scheduler
from reference_trainers.multidataset.render import CLASSES


class DigitCNN(nn.Module):
    """Two 3x3 convolutions per stage, max-pooling between stages, global average pooling, a linear head."""

    def __init__(self, channels: tuple[int, ...] = (32, 64, 128)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = 1
        for index, out_channels in enumerate(channels):
            if index:
                layers.append(nn.MaxPool2d(2))
            for _ in range(2):
                layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                           nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]
                in_channels = out_channels
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(in_channels, CLASSES)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


class MultiDatasetModule(pl.LightningModule):
    """Cross-entropy over the batch of every dataset; validation logs ``val/<dataset>/acc`` and ``val/min_acc``."""

    def __init__(self, dataset_names: list[str], channels: tuple[int, ...] = (32, 64, 128), lr: float = 3e-3,
                 weight_decay: float = 1e-4, warmup_fraction: float = 0.1, channels_last: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = DigitCNN(tuple(channels))
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.net.to(memory_format=self.memory_format)
        self.val_accuracy = nn.ModuleDict({name: MulticlassAccuracy(CLASSES, average="micro") for name in dataset_names})

    def logits(self, images: dict[str, torch.Tensor]) -> torch.Tensor:
        """Each dataset's group through the network at its own size, concatenated in the labels' order."""
        return torch.cat([self.net(group.contiguous(memory_format=self.memory_format)) for group in images.values()])

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss = F.cross_entropy(self.logits(batch["images"]), batch["labels"])
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> None:
        logits = self.logits(batch["images"])
        start = 0
        for name, images in batch["images"].items():
            group = slice(start, start + len(images))
            start = group.stop
            self.log(f"val/{name}/loss", F.cross_entropy(logits[group], batch["labels"][group]), sync_dist=True,
                     add_dataloader_idx=False)
            self.val_accuracy[name].update(logits[group], batch["labels"][group])

    def on_validation_epoch_end(self) -> None:
        accuracy = {name: metric.compute() for name, metric in self.val_accuracy.items()}
        self.log_dict({f"val/{name}/acc": value for name, value in accuracy.items()}, add_dataloader_idx=False)
        self.log("val/min_acc", torch.stack(list(accuracy.values())).min(), prog_bar=True, add_dataloader_idx=False)
        for metric in self.val_accuracy.values():
            metric.reset()

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        scheduler = warmup_cosine_scheduler(optimizer, self.trainer.estimated_stepping_batches,
                                            self.hparams.warmup_fraction)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
