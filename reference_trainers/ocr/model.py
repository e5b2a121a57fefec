"""CRNN (conv features, bidirectional GRU, linear head) trained with CTC, and its metrics."""

from __future__ import annotations

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import Metric

from reference_trainers.common.schedule import warmup_cosine_scheduler
from reference_trainers.ocr.glyphs import ALPHABET, BLANK


class CRNN(nn.Module):
    """Three conv blocks that halve the height (and twice the width), a BiGRU over columns, a head."""

    def __init__(self, channels: tuple[int, int, int] = (32, 64, 128), hidden: int = 128, rnn_layers: int = 2,
                 height: int = 32) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        in_channels = 1
        for index, out_channels in enumerate(channels):
            pool = (2, 2) if index < 2 else (2, 1)
            blocks += [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
                       nn.ReLU(inplace=True), nn.MaxPool2d(pool)]
            in_channels = out_channels
        self.features = nn.Sequential(*blocks)
        feature_height = height // 2 ** len(channels)
        self.project = nn.Linear(in_channels * feature_height, hidden)
        self.rnn = nn.GRU(hidden, hidden, num_layers=rnn_layers, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, len(ALPHABET) + 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, classes), T = width / 4."""
        features = self.features(images)
        batch, channels, height, width = features.shape
        columns = features.permute(0, 3, 1, 2).reshape(batch, width, channels * height)
        sequence, _ = self.rnn(F.relu(self.project(columns)))
        return self.head(sequence)


def greedy_decode(logits: torch.Tensor) -> list[list[int]]:
    """Best path: argmax per step, merge repeats, drop blanks; classes are digit + 1."""
    best = logits.argmax(dim=-1).cpu()
    decoded = []
    for row in best.tolist():
        previous = BLANK
        out = []
        for symbol in row:
            if symbol != previous and symbol != BLANK:
                out.append(symbol)
            previous = symbol
        decoded.append(out)
    return decoded


def edit_distance(source: list[int], target: list[int]) -> int:
    """Levenshtein distance between two short sequences."""
    previous = list(range(len(target) + 1))
    for row, symbol in enumerate(source, start=1):
        current = [row]
        for column, other in enumerate(target, start=1):
            current.append(min(previous[column] + 1, current[column - 1] + 1,
                               previous[column - 1] + (symbol != other)))
        previous = current
    return previous[-1]


class SequenceMetrics(Metric):
    """Sequence exact-match accuracy and character error rate, summed across processes."""

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        for name in ("exact", "sequences", "edits", "characters"):
            self.add_state(name, default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, predictions: list[list[int]], labels: torch.Tensor, lengths: torch.Tensor) -> None:
        targets = [row[:length] for row, length in zip(labels.tolist(), lengths.tolist(), strict=True)]
        self.exact += sum(prediction == target for prediction, target in zip(predictions, targets, strict=True))
        self.sequences += len(targets)
        self.edits += sum(map(edit_distance, predictions, targets))
        self.characters += sum(map(len, targets))

    def compute(self) -> dict[str, torch.Tensor]:
        return {"seq_acc": self.exact.float() / self.sequences.clamp_min(1),
                "cer": self.edits.float() / self.characters.clamp_min(1)}


class OCRModule(pl.LightningModule):
    """CTC training of the CRNN; validation logs ``val/seq_acc`` and ``val/cer``."""

    def __init__(self, channels: tuple[int, int, int] = (32, 64, 128), hidden: int = 128, rnn_layers: int = 2,
                 height: int = 32, lr: float = 3e-3, weight_decay: float = 1e-4,
                 warmup_fraction: float = 0.15) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = CRNN(tuple(channels), hidden, rnn_layers, height)
        self.val_metrics = SequenceMetrics()

    def ctc_loss(self, logits: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """CTC in fp32 whatever the autocast precision (its log-sum-exp underflows in half precision)."""
        with torch.autocast(device_type=logits.device.type, enabled=False):
            log_probs = logits.float().log_softmax(-1).transpose(0, 1)
            input_lengths = torch.full((logits.shape[0],), logits.shape[1], dtype=torch.long, device=logits.device)
            return F.ctc_loss(log_probs, labels, input_lengths, lengths, blank=BLANK, zero_infinity=True)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.ctc_loss(self.net(batch["images"]), batch["labels"], batch["lengths"])
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        logits = self.net(batch["images"])
        self.log("val/loss", self.ctc_loss(logits, batch["labels"], batch["lengths"]), sync_dist=True)
        self.val_metrics.update(greedy_decode(logits), batch["labels"], batch["lengths"])

    def on_validation_epoch_end(self) -> None:
        metrics = self.val_metrics.compute()
        self.log_dict({f"val/{name}": value for name, value in metrics.items()}, prog_bar=True)
        self.val_metrics.reset()

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        scheduler = warmup_cosine_scheduler(optimizer, self.trainer.estimated_stepping_batches,
                                            self.hparams.warmup_fraction)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
