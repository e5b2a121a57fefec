"""Fast checks of the OCR trainer's parts: config composition, data, decoding, metrics, logger factory,
resumable sampler, LR schedule, checkpoint checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")
hydra = pytest.importorskip("hydra")

from hydra import compose, initialize_config_dir  # noqa: E402
from hydra.utils import instantiate  # noqa: E402

from reference_trainers.common import checkpoints, loggers  # noqa: E402
from reference_trainers.common.errors import UsageError  # noqa: E402
from reference_trainers.common.sampling import ResumableSampler  # noqa: E402
from reference_trainers.common.schedule import warmup_cosine  # noqa: E402
from reference_trainers.ocr.glyphs import MAX_LENGTH, MIN_LENGTH, render, sample_labels  # noqa: E402
from reference_trainers.ocr.model import SequenceMetrics, edit_distance, greedy_decode  # noqa: E402
from tests.helpers import ROOT  # noqa: E402
from tests.trainers import compose_ocr, trainer_env  # noqa: E402

LEGACY_CONFIG_DIR = str(ROOT / "legacy" / "ocr" / "configs")


def compose_config(name: str = "train", overrides: list[str] | None = None):
    if name == "train":
        return compose_ocr(overrides or [])
    with initialize_config_dir(config_dir=LEGACY_CONFIG_DIR, version_base="1.3"):
        return compose(config_name=name, overrides=overrides or [], return_hydra_config=False)


def test_entry_module_imports_no_torch() -> None:
    probe = "import sys, reference_trainers.ocr.__main__; print('torch' in sys.modules, 'lightning' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                          env=trainer_env())
    assert done.stdout.split() == ["False", "False"]


def test_help_and_cfg_job_answer_without_training() -> None:
    done = subprocess.run([sys.executable, "-m", "reference_trainers.ocr", "--cfg", "job", "experiment=smoke"],
                          cwd=ROOT, capture_output=True, text=True, check=True, timeout=60, env=trainer_env())
    assert "batch_size: 32" in done.stdout and "precision: 32-true" in done.stdout


@pytest.mark.parametrize("name", ["train", "legacy"])
def test_configs_compose_and_build(name: str) -> None:
    config = compose_config(name, ["experiment=smoke", "trainer.max_epochs=1"])
    assert config.trainer.accelerator == "cpu" and config.data.batch_size == 32
    assert config.model.height == config.data.height == 24
    datamodule = instantiate(config.data)
    model = instantiate(config.model)
    assert datamodule.hparams.seed == config.seed and model.hparams.hidden == 48
    assert ("runtime" in config) == (name == "legacy")


def test_default_config_is_lightning_auto() -> None:
    config = compose_config()
    assert (config.trainer.accelerator, config.trainer.devices, config.trainer.strategy) == ("auto", "auto", "auto")
    assert config.trainer.deterministic == "warn" and config.logger.kind == "csv"
    assert list(config.callbacks) == ["model_checkpoint", "last_checkpoint", "epoch_log"]
    assert config.callbacks.model_checkpoint.filename == "epoch{epoch:03d}-step{step:06d}"
    assert compose_config(overrides=["experiment=full"]).trainer.precision == "bf16-mixed"


def test_rendering_is_a_pure_function_of_index() -> None:
    batch = render(7, torch.arange(10))
    pair = render(7, torch.tensor([8, 3]))
    assert torch.equal(batch[0][3], pair[0][1]) and torch.equal(batch[1][8], pair[1][0])
    assert not torch.equal(render(8, torch.arange(10))[1], batch[1])
    images, labels, lengths = render(1, torch.arange(2000))
    assert images.shape == (2000, 1, 32, 128) and images.min() >= -1 and images.max() <= 1
    assert lengths.min() == MIN_LENGTH and lengths.max() == MAX_LENGTH
    assert set(labels[labels > 0].unique().tolist()) == set(range(1, 11))


def test_labels_match_lengths() -> None:
    labels, lengths = sample_labels(3, torch.arange(500))
    assert torch.equal((labels > 0).sum(dim=1), lengths)


def test_greedy_decode_and_metrics() -> None:
    logits = torch.full((2, 6, 11), -10.0)
    for step, symbol in enumerate([2, 2, 0, 2, 5, 0]):
        logits[0, step, symbol] = 0
    for step, symbol in enumerate([0, 3, 3, 3, 0, 0]):
        logits[1, step, symbol] = 0
    assert greedy_decode(logits) == [[2, 2, 5], [3]]
    assert edit_distance([1, 2, 3], [1, 3]) == 1 and edit_distance([], [4, 4]) == 2
    metrics = SequenceMetrics()
    metrics.update([[2, 2, 5], [3]], torch.tensor([[2, 2, 5, 0], [3, 4, 0, 0]]), torch.tensor([3, 2]))
    result = metrics.compute()
    assert result["seq_acc"] == pytest.approx(0.5) and result["cer"] == pytest.approx(1 / 5)


def test_logger_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    assert isinstance(loggers.build_logger({"kind": "csv"}, str(tmp_path)), CSVLogger)
    assert isinstance(loggers.build_logger({"kind": "tensorboard"}, str(tmp_path)), TensorBoardLogger)
    assert loggers.build_logger({"kind": "none"}, str(tmp_path)) is None
    with pytest.raises(UsageError, match="unknown logger kind 'mlflow'"):
        loggers.build_logger({"kind": "mlflow"}, str(tmp_path))
    monkeypatch.setattr(loggers.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UsageError, match=r"logger=wandb needs the 'wandb' package.*the 'wandb' extra"):
        loggers.build_logger({"kind": "wandb"}, str(tmp_path))
    with pytest.raises(UsageError, match=r"'tensorboard' package.*pip install '\.\[tensorboard\]'"):
        loggers.build_logger({"kind": "tensorboard"}, str(tmp_path))
    loggers.require_logger_packages({"kind": "csv"})  # csv needs nothing beyond Lightning


def test_sampler_resumes_mid_epoch_and_shards_by_rank() -> None:
    whole = ResumableSampler(100, seed=3)
    whole.set_epoch(2)
    order = list(whole)
    assert sorted(order) == list(range(100)) and order != list(range(100))
    resumed = ResumableSampler(100, seed=3)
    resumed.start_at(epoch=2, skip=40)
    assert list(resumed) == order[40:]
    assert list(resumed) == order  # the skip applies to one pass only
    next_epoch = ResumableSampler(100, seed=3)
    next_epoch.set_epoch(3)
    assert list(next_epoch) != order
    shards = [list(ResumableSampler(101, seed=3, rank=rank, world_size=2)) for rank in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == 50 and not set(shards[0]) & set(shards[1])
    in_order = [list(ResumableSampler(5, 0, shuffle=False, rank=rank, world_size=2, even=False)) for rank in (0, 1)]
    assert in_order == [[0, 2, 4], [1, 3]]


def test_warmup_cosine_schedule() -> None:
    multiplier = warmup_cosine(total_steps=100, warmup_fraction=0.1)
    assert multiplier(0) == pytest.approx(0.1) and multiplier(9) == pytest.approx(1.0)
    assert multiplier(10) == pytest.approx(1.0) and multiplier(55) == pytest.approx(0.5)
    assert multiplier(100) == pytest.approx(0.0) and multiplier(150) == pytest.approx(0.0)
    longer = warmup_cosine(total_steps=200, warmup_fraction=0.1)
    assert longer(100) > multiplier(100)  # a larger total stretches the decay from the resume step on


def test_unreadable_checkpoint_names_the_intact_ones(tmp_path: Path) -> None:
    intact = tmp_path / "epoch001-step000010.ckpt"
    torch.save({"state_dict": {"weight": torch.ones(3)}}, intact)
    truncated = tmp_path / "last.ckpt"
    truncated.write_bytes(intact.read_bytes()[:200])
    empty = tmp_path / "interrupted-step000012.ckpt"
    empty.touch()
    assert checkpoints.require_readable(intact) == intact
    with pytest.raises(UsageError, match=r"last.ckpt cannot be read .*: epoch001-step000010.ckpt$"):
        checkpoints.require_readable(truncated)
    with pytest.raises(UsageError, match=r"interrupted-step000012.ckpt is empty; .*: epoch001-step000010.ckpt$"):
        checkpoints.require_readable(empty)
    with pytest.raises(UsageError, match="does not exist"):
        checkpoints.require_readable(tmp_path / "missing.ckpt")
    assert checkpoints.interrupted_name(224) == "interrupted-step000224.ckpt"


def test_only_rank_zero_writes_the_summary(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from reference_trainers.common.summary import RunSummary

    summary = RunSummary("ocr", "val/seq_acc", str(tmp_path))
    fake = SimpleNamespace(callback_metrics={"val/seq_acc": torch.tensor(0.5)}, checkpoint_callback=None,
                           strategy=SimpleNamespace(root_device=torch.device("cpu")), world_size=2,
                           precision="32-true", current_epoch=1, global_step=10, is_global_zero=False)
    written = summary.write(fake, 1.0)
    assert written["val_value"] == 0.5 and written["status"] == "completed" and written["resumed_from"] is None
    assert not (tmp_path / "summary.json").exists()
    fake.is_global_zero = True
    summary.write(fake, 1.0)
    assert (tmp_path / "summary.json").exists()
