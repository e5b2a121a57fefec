"""Fast checks of the OCR trainer's parts: config composition, data, decoding, metrics, logger factory."""

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

from reference_trainers.common import loggers  # noqa: E402
from reference_trainers.ocr.glyphs import MAX_LENGTH, MIN_LENGTH, render, sample_labels  # noqa: E402
from reference_trainers.ocr.model import SequenceMetrics, edit_distance, greedy_decode  # noqa: E402
from tests.helpers import ROOT  # noqa: E402

CONFIG_DIR = str(ROOT / "configs" / "ocr")


def compose_config(name: str = "train", overrides: list[str] | None = None):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name=name, overrides=overrides or [], return_hydra_config=False)


def test_entry_module_imports_no_torch() -> None:
    probe = "import sys, reference_trainers.ocr.__main__; print('torch' in sys.modules, 'lightning' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_help_and_cfg_job_answer_without_training() -> None:
    done = subprocess.run([sys.executable, "-m", "reference_trainers.ocr", "--cfg", "job", "experiment=smoke"],
                          cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
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
    from lightning.pytorch.loggers import CSVLogger

    assert isinstance(loggers.build_logger({"kind": "csv"}, str(tmp_path)), CSVLogger)
    assert loggers.build_logger({"kind": "none"}, str(tmp_path)) is None
    assert isinstance(loggers.build_logger({"kind": "wandb", "enabled": False}, str(tmp_path)), CSVLogger)
    with pytest.raises(ValueError, match="unknown logger kind 'mlflow'"):
        loggers.build_logger({"kind": "mlflow"}, str(tmp_path))
    monkeypatch.setattr(loggers.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(loggers.MissingDependencyError, match="'wandb'"):
        loggers.build_logger({"kind": "wandb", "enabled": True}, str(tmp_path))
    with pytest.raises(loggers.MissingDependencyError, match="'tensorboard' or 'tensorboardX'"):
        loggers.build_logger({"kind": "tensorboard"}, str(tmp_path))


def test_only_rank_zero_writes_the_summary(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from reference_trainers.common.summary import RunSummary

    summary = RunSummary("ocr", "val/seq_acc", str(tmp_path))
    fake = SimpleNamespace(callback_metrics={"val/seq_acc": torch.tensor(0.5)}, checkpoint_callback=None,
                           strategy=SimpleNamespace(root_device=torch.device("cpu")), world_size=2,
                           precision="32-true", current_epoch=1, global_step=10, is_global_zero=False)
    assert summary.write(fake, 1.0)["val_value"] == 0.5
    assert not (tmp_path / "summary.json").exists()
    fake.is_global_zero = True
    summary.write(fake, 1.0)
    assert (tmp_path / "summary.json").exists()
