"""The mel trainer's parts without training: filterbank, clip builder, HDF5 reading, config composition."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
h5py = pytest.importorskip("h5py")
pytest.importorskip("hydra")

from omegaconf.errors import OmegaConfBaseException  # noqa: E402

from reference_trainers.common.composition import compose_config, validate  # noqa: E402
from reference_trainers.common.errors import UsageError  # noqa: E402
from reference_trainers.common.launch import register  # noqa: E402
from reference_trainers.mel.config import BUILD_SPEC, SPEC  # noqa: E402
from reference_trainers.mel.data import BatchOrder, ClipBatches, build_split, ensure_dataset, write_dataset  # noqa: E402
from reference_trainers.mel.features import log_mel, mel_filterbank  # noqa: E402
from reference_trainers.mel.loop import console_level, prepare_batch, resolve_precision, save_atomically  # noqa: E402
from reference_trainers.mel.synth import CLASSES  # noqa: E402
from tests.helpers import ROOT  # noqa: E402
from tests.trainers import trainer_env  # noqa: E402

TINY_CLIPS = ("data=smoke", "data.clips.train_size=70", "data.clips.val_size=14", "data.clips.test_size=14")


def compose(spec, *overrides: str):
    register(spec)
    config = compose_config(spec, list(overrides))
    validate(spec, config)
    return config


def build_config(path: Path, *overrides: str):
    return compose(BUILD_SPEC, *TINY_CLIPS, f"data.path={path}", *overrides)


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("mel") / "tiny.h5"
    config = build_config(path)
    return write_dataset(path, config.data.clips), config


def test_filterbank_is_triangles_on_the_mel_scale() -> None:
    bank = mel_filterbank(n_mels=32, n_fft=512, sample_rate=16_000)
    assert bank.shape == (32, 257) and bank.min() >= 0 and bank.max() <= 1
    peaks = bank.argmax(dim=1)
    assert bool((peaks[1:] >= peaks[:-1]).all())  # centres rise with the band
    widths = (bank > 0).sum(dim=1)
    assert widths[-1] > widths[0]  # higher bands cover more FFT bins
    assert bool((bank.sum(dim=1) > 0).all())  # no empty band at this resolution


def test_a_tone_lands_in_the_band_around_its_frequency() -> None:
    sample_rate, n_fft = 16_000, 512
    bank = mel_filterbank(40, n_fft, sample_rate)
    t = torch.arange(sample_rate) / sample_rate
    for frequency in (300.0, 1_000.0, 4_000.0):
        spectrogram = log_mel(torch.sin(2 * torch.pi * frequency * t)[None], bank, n_fft, 256)
        band = int(spectrogram[0].mean(dim=1).argmax())
        fft_bin = round(frequency * n_fft / sample_rate)
        assert bank[band, fft_bin] > 0.5, (frequency, band)


def test_builder_writes_splits_with_their_attributes(tiny_dataset: tuple[Path, object]) -> None:
    path, config = tiny_dataset
    with h5py.File(path, "r") as handle:
        assert [name for name in handle] == ["test", "train", "val"]
        assert handle["train/features"].shape == (70, 32, 32) and handle["train/features"].dtype == "float16"
        assert handle["train/features"].chunks is not None and handle["val/labels"].shape == (14,)
        assert list(handle.attrs["class_names"]) == list(CLASSES)
        assert handle.attrs["sample_rate"] == config.data.clips.sample_rate and handle.attrs["n_mels"] == 32
        assert handle.attrs["feature_std"] > 0
        assert sorted(handle["train/labels"][:].tolist()) == sorted([i % len(CLASSES) for i in range(70)])


def test_builder_is_deterministic_by_seed(tiny_dataset: tuple[Path, object]) -> None:
    _, config = tiny_dataset
    clips = config.data.clips
    first, again, other = build_split(clips, 21, seed=5), build_split(clips, 21, seed=5), build_split(clips, 21, 6)
    assert (first[0] == again[0]).all() and (first[1] == again[1]).all()
    assert not (first[0] == other[0]).all()


def test_builder_refuses_to_overwrite(tiny_dataset: tuple[Path, object]) -> None:
    path, config = tiny_dataset
    before = path.read_bytes()
    with pytest.raises(UsageError, match="already exists; pass overwrite=true"):
        write_dataset(path, config.data.clips)
    assert path.read_bytes() == before


def test_builder_command_refuses_with_one_line_and_overwrites_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "clips.h5"
    command = [sys.executable, "-m", "reference_trainers.mel.build_data", *TINY_CLIPS, f"data.path={path}"]
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *extra], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env=trainer_env(), check=False)

    assert run().returncode == 0 and path.is_file()
    refused = run()
    assert refused.returncode == 2 and refused.stderr.splitlines() == [
        f"error: {path} already exists; pass overwrite=true to replace it"]
    assert run("overwrite=true", "data.clips.seed=3").returncode == 0
    with h5py.File(path, "r") as handle:
        assert handle.attrs["seed"] == 3
    bad = run("data.clips.n_mels=many")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1 and "data.clips.n_mels" in bad.stderr


def test_a_dataset_built_with_other_parameters_is_refused(tiny_dataset: tuple[Path, object]) -> None:
    path, _ = tiny_dataset
    other = build_config(path, "data.clips.n_mels=40").data.clips
    with pytest.raises(UsageError, match=r"built with other parameters \(n_mels\)"):
        ensure_dataset(path, other)


def test_batches_are_read_lazily_and_in_resumable_order(tiny_dataset: tuple[Path, object]) -> None:
    path, _ = tiny_dataset
    dataset = ClipBatches(path, "train")
    assert dataset._handle is None and len(dataset) == 70  # nothing held open before a worker reads
    features, labels = dataset[[5, 1, 3]]
    assert features.shape == (3, 32, 32) and labels.dtype == torch.int64
    order = BatchOrder(70, 16, shuffle=True, seed=7)
    order.set_position(epoch=2)
    full = list(order)
    order.set_position(epoch=2, skip=3)
    assert len(full) == 4 and list(order) == full[3:]
    order.set_position(epoch=3)
    assert list(order) != full
    assert [len(batch) for batch in BatchOrder(70, 16, shuffle=False)] == [16, 16, 16, 16, 6]


def test_prepare_batch_normalises_into_channels_last() -> None:
    features = torch.full((4, 8, 10), 3.0, dtype=torch.float16)
    inputs, labels = prepare_batch((features, torch.arange(4)), torch.device("cpu"), mean=1.0, std=2.0,
                                   channels_last=True)
    assert inputs.shape == (4, 1, 8, 10) and inputs.dtype == torch.float32 and bool((inputs == 1.0).all())
    assert inputs.is_contiguous(memory_format=torch.channels_last) and labels.tolist() == [0, 1, 2, 3]


def test_checkpoints_are_replaced_atomically(tmp_path: Path) -> None:
    path = save_atomically({"step": 1}, tmp_path / "best.ckpt")
    save_atomically({"step": 2}, path)
    assert torch.load(path)["step"] == 2 and [item.name for item in tmp_path.iterdir()] == ["best.ckpt"]


def test_precision_follows_the_device() -> None:
    assert resolve_precision("auto", torch.device("cpu")) == "32-true"
    assert resolve_precision("auto", torch.device("cuda")) == "bf16-mixed"
    with pytest.raises(UsageError, match="trainer.precision=fp8"):
        resolve_precision("fp8", torch.device("cpu"))


def test_console_level_by_name() -> None:
    assert (console_level("debug"), console_level("WARNING")) == (10, 30)
    with pytest.raises(UsageError, match="log_level=loud"):
        console_level("loud")


def test_configs_compose_through_the_compose_api() -> None:
    default, smoke = compose(SPEC), compose(SPEC, "experiment=smoke")
    assert (default.trainer.device, default.trainer.precision, default.monitor.metric) == ("auto", "auto", "val/acc")
    assert (smoke.trainer.device, smoke.trainer.precision, smoke.data.path) == ("cpu", "32-true", "data/mel/smoke.h5")
    assert smoke.data.clips.n_mels == 32 and smoke.data.clips.n_fft == 256 and list(smoke.model.channels) == [16, 32, 32]
    full = compose(SPEC, "experiment=full")
    assert (full.trainer.device, full.trainer.precision, full.data.clips.train_size) == ("cuda", "bf16-mixed", 60_000)
    assert compose(BUILD_SPEC, "data=smoke").data == smoke.data
    with pytest.raises(OmegaConfBaseException):
        compose(SPEC, "+trainer.devices=2")  # the loop has no such key


def mel_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reference_trainers.mel", *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=trainer_env(), check=False)


@pytest.mark.parametrize(("override", "fragment"), [
    ("trainer.max_epochs=abc", "trainer.max_epochs"),
    ("trainer.devices=2", "trainer.devices"),
    ("ckpt_path=missing.ckpt", "missing.ckpt does not exist"),
])
def test_bad_override_is_one_line_before_any_run_directory(override: str, fragment: str, tmp_path: Path) -> None:
    done = mel_command(override, f"hydra.run.dir={tmp_path / 'run'}")
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert len(done.stderr.splitlines()) == 1 and fragment in done.stderr, done.stderr
    assert not (tmp_path / "run").exists()


def test_composed_config_is_shown_without_training() -> None:
    shown = mel_command("--cfg", "job", "experiment=smoke")
    assert shown.returncode == 0 and "path: data/mel/smoke.h5" in shown.stdout, shown.stderr
