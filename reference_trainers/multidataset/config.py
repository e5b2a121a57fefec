"""The multi-dataset trainer's config schema and what the shared launcher needs to know (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reference_trainers.common.launch import TrainerSpec
from reference_trainers.common.schema import RunConfig


@dataclass
class DatasetConfig:
    """One synthetic dataset: digits drawn at ``size`` pixels, contrast uniform in [low, high], pixel noise."""

    size: int = 28
    contrast_low: float = 0.5
    contrast_high: float = 1.0
    noise: float = 0.1
    train_size: int = 8_192
    val_size: int = 1_024


@dataclass
class CurriculumConfig:
    """How strongly the sampler prefers easy (high-contrast) samples at the start and hard ones at the end."""

    strength: float = 3.0


@dataclass
class MultiDataConfig:
    _target_: str = "reference_trainers.multidataset.data.MultiDatasetDataModule"
    _convert_: str = "all"
    datasets: dict[str, DatasetConfig] = field(default_factory=dict)
    batch_size: int = 128
    # Samples drawn (without replacement, by curriculum weight) from all training pools per epoch.
    samples_per_epoch: int = 16_384
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    seed: int = 0


@dataclass
class CNNModelConfig:
    _target_: str = "reference_trainers.multidataset.model.MultiDatasetModule"
    _convert_: str = "all"
    dataset_names: list[str] = field(default_factory=list)
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.1
    channels_last: bool = False


@dataclass
class MultiDatasetRunConfig(RunConfig):
    model: CNNModelConfig = field(default_factory=CNNModelConfig)
    data: MultiDataConfig = field(default_factory=MultiDataConfig)


SPEC = TrainerSpec(
    name="multidataset",
    config_package="reference_trainers.multidataset.configs",
    schema=MultiDatasetRunConfig,
    # A resumed run loads the saved weights and per-dataset metrics, so these must stay as they were.
    shape_keys=("model.channels", "model.dataset_names"),
)
