"""The OCR trainer's config schema and what the shared launcher needs to know about it (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reference_trainers.common.launch import TrainerSpec
from reference_trainers.common.schema import RunConfig


@dataclass
class CRNNModelConfig:
    _target_: str = "reference_trainers.ocr.model.OCRModule"
    _convert_: str = "all"
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    hidden: int = 128
    rnn_layers: int = 2
    height: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.15


@dataclass
class DigitsDataConfig:
    _target_: str = "reference_trainers.ocr.data.DigitsDataModule"
    _convert_: str = "all"
    train_size: int = 50_000
    val_size: int = 2_000
    batch_size: int = 128
    height: int = 32
    width: int = 128
    noise: float = 0.1
    blur: float = 1.0
    jitter: float = 0.15
    seed: int = 0


@dataclass
class OCRRunConfig(RunConfig):
    model: CRNNModelConfig = field(default_factory=CRNNModelConfig)
    data: DigitsDataConfig = field(default_factory=DigitsDataConfig)


SPEC = TrainerSpec(
    name="ocr",
    config_package="reference_trainers.ocr.configs",
    schema=OCRRunConfig,
    # A resumed run loads the saved weights, so these must stay as they were.
    shape_keys=("model.channels", "model.hidden", "model.rnn_layers", "model.height"),
)
