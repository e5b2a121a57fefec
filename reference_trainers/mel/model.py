"""A small CNN over log-mel spectrograms: conv blocks, global average pool, linear head."""

from __future__ import annotations

import torch
from torch import nn


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True), nn.MaxPool2d(2))


class MelClassifier(nn.Module):
    """(batch, 1, mel bands, frames) -> (batch, classes) logits."""

    def __init__(self, channels: list[int], num_classes: int, dropout: float = 0.1) -> None:
        super().__init__()
        widths = [1, *channels]
        self.features = nn.Sequential(*(conv_block(a, b) for a, b in zip(widths, widths[1:], strict=False)))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels[-1], num_classes))

    def forward(self, spectrograms: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(spectrograms).mean(dim=(2, 3)))
