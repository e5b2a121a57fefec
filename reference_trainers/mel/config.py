"""The mel trainer's and data builder's config schemas, and what the shared launcher needs (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reference_trainers.common.launch import TrainerSpec
from reference_trainers.common.schema import RunConfig


@dataclass
class ClipsConfig:
    """How the clips are synthesised and turned into log-mel spectrograms (stored as HDF5 attributes)."""

    sample_rate: int = 16_000
    clip_seconds: float = 1.0
    min_event_seconds: float = 0.25
    max_event_seconds: float = 0.7
    min_frequency: float = 150.0
    max_frequency: float = 4_000.0
    min_snr_db: float = 0.0
    max_snr_db: float = 20.0
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 64
    train_size: int = 20_000
    val_size: int = 2_000
    test_size: int = 2_000
    seed: int = 0


@dataclass
class MelDataConfig:
    path: str = "data/mel/clips.h5"
    batch_size: int = 128
    num_workers: int = 2
    clips: ClipsConfig = field(default_factory=ClipsConfig)


@dataclass
class MelModelConfig:
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    dropout: float = 0.1
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.1


@dataclass
class LoopConfig:
    """The hand-written loop's settings (``trainer`` like the Lightning trainers, for ``resume=``)."""

    device: str = "auto"
    # auto (bf16-mixed on a GPU, 32-true on the CPU), 32-true, bf16-mixed or 16-mixed (adds a GradScaler).
    precision: str = "auto"
    channels_last: bool = True
    max_epochs: int = 10
    max_steps: int = -1
    log_every_n_steps: int = 50
    # Validate every N steps as well as at each epoch end (0: epoch ends only); false: never.
    val_every_n_steps: int = 0
    validate: bool = True
    # Also measure test accuracy at each validation (time to a test-accuracy target).
    test_every_validation: bool = False
    gradient_clip_val: float | None = 1.0


@dataclass
class MelRunConfig(RunConfig):
    trainer: LoopConfig = field(default_factory=LoopConfig)  # type: ignore[assignment]
    model: MelModelConfig = field(default_factory=MelModelConfig)
    data: MelDataConfig = field(default_factory=MelDataConfig)
    log_level: str = "INFO"


@dataclass
class BuildConfig:
    data: MelDataConfig = field(default_factory=MelDataConfig)
    overwrite: bool = False
    log_level: str = "INFO"


SPEC = TrainerSpec(
    name="mel",
    config_package="reference_trainers.mel.configs",
    schema=MelRunConfig,
    # A resumed run loads the saved weights and reads the same dataset, so these stay as they were.
    shape_keys=("model.channels", "data.clips"),
    fit_module="reference_trainers.mel.loop",
)

BUILD_SPEC = TrainerSpec(name="mel_build", config_package="reference_trainers.mel.configs", schema=BuildConfig,
                         shape_keys=(), config_name="build_data")
