"""The multi-dataset trainer's parts without a training run: sampler, config composition, collate, drawing."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")
pytest.importorskip("hydra")

from omegaconf.errors import ConfigKeyError  # noqa: E402

from reference_trainers.common.composition import compose_config, validate  # noqa: E402
from reference_trainers.common.launch import register  # noqa: E402
from reference_trainers.multidataset.callbacks import heartbeat_line  # noqa: E402
from reference_trainers.multidataset.config import SPEC  # noqa: E402
from reference_trainers.multidataset.data import GroupByDataset, MultiDatasetDataModule  # noqa: E402
from reference_trainers.multidataset.render import render  # noqa: E402
from reference_trainers.multidataset.sampler import ContrastWeightedSampler  # noqa: E402

EASE = torch.linspace(0, 1, 1000)


def sampler(rank: int = 0, world_size: int = 1, seed: int = 7, epoch_size: int = 600) -> ContrastWeightedSampler:
    return ContrastWeightedSampler(EASE, epoch_size, seed, batch_size=10, rank=rank, world_size=world_size)


def test_shards_are_disjoint_and_cover_the_epoch() -> None:
    shards = [list(sampler(rank, 3)) for rank in range(3)]
    assert [len(shard) for shard in shards] == [200, 200, 200]
    assert len(set().union(*map(set, shards))) == 600  # no index on two ranks, none twice on one


def test_each_epoch_reshuffles_by_seed() -> None:
    first, again, other_seed = sampler(), sampler(), sampler(seed=8)
    epoch_zero = list(first)
    assert list(again) == epoch_zero and list(other_seed) != epoch_zero
    first.set_epoch(1)
    assert list(first) != epoch_zero


def test_curriculum_moves_from_easy_to_hard() -> None:
    draw = sampler(epoch_size=200)
    mean_ease = []
    for step in (0, 50, 100):
        draw.set_step(step, total_steps=100)
        mean_ease.append(float(EASE[list(draw)].mean()))
    assert mean_ease[0] > 0.6 and abs(mean_ease[1] - 0.5) < 0.1 and mean_ease[2] < 0.4
    assert torch.allclose(draw.weights(0.5), torch.ones(1000, dtype=torch.float64))


def test_resumed_epoch_continues_the_same_draw() -> None:
    whole = sampler()
    whole.set_step(60, total_steps=100)
    resumed = sampler()
    resumed.start_at(0, skip=30)  # 3 batches of 10 already trained: the epoch began 3 steps before step 63
    resumed.set_step(63, total_steps=100)
    assert list(resumed) == list(whole)[30:]


def test_epoch_size_beyond_the_pool_is_refused() -> None:
    with pytest.raises(ValueError, match="pool size 1000"):
        sampler(epoch_size=1001)


def compose(*overrides: str):
    register(SPEC)
    config = compose_config(SPEC, [*overrides, "paths.output_dir=/tmp/unused"])
    validate(SPEC, config)
    return config


def test_configs_compose_with_the_schema() -> None:
    smoke, full = compose("experiment=smoke"), compose("experiment=full")
    assert list(smoke.model.dataset_names) == ["clean", "faint", "noisy", "small"]
    assert smoke.trainer.accelerator == "cpu" and smoke.data.datasets.small.size == 12
    assert smoke.data.datasets.faint.contrast_low == full.data.datasets.faint.contrast_low  # same task, smaller
    assert full.trainer.precision == "bf16-mixed" and full.monitor.metric == "val/min_acc"
    assert set(smoke.callbacks) == {"model_checkpoint", "last_checkpoint", "heartbeat", "curriculum"}


def test_a_misspelt_dataset_key_is_refused() -> None:
    with pytest.raises(ConfigKeyError, match="contrast_lo"):
        compose("+data.datasets.clean.contrast_lo=0.2")


def test_channels_last_changes_the_layout_not_the_logits() -> None:
    import torch
    from hydra.utils import instantiate

    contiguous = instantiate(compose("experiment=smoke").model)
    nhwc = instantiate(compose("experiment=smoke", "model.channels_last=true").model)
    nhwc.load_state_dict(contiguous.state_dict())
    def last_conv_weight(module: torch.nn.Module) -> torch.Tensor:
        return [layer for layer in module.net.modules() if isinstance(layer, torch.nn.Conv2d)][-1].weight

    assert last_conv_weight(nhwc).is_contiguous(memory_format=torch.channels_last)
    assert not last_conv_weight(nhwc).is_contiguous() and last_conv_weight(contiguous).is_contiguous()
    images = {"clean": torch.rand(4, 1, 28, 28), "small": torch.rand(3, 1, 14, 14)}
    contiguous.eval(), nhwc.eval()
    with torch.no_grad():
        torch.testing.assert_close(nhwc.logits(images), contiguous.logits(images), rtol=1e-4, atol=1e-5)


def test_collate_groups_indices_by_dataset() -> None:
    datamodule = MultiDatasetDataModule({"a": {"train_size": 5}, "b": {"train_size": 3}, "c": {"train_size": 4}})
    grouped = GroupByDataset(datamodule.specs)([6, 0, 9, 4, 11])
    assert {name: indices.tolist() for name, indices in grouped.items()} == {"a": [0, 4], "b": [1], "c": [1, 3]}


def test_drawing_is_a_function_of_seed_and_index() -> None:
    images, labels = render(3, torch.tensor([5, 9, 2]), 16, 0.2, 0.8, 0.1)
    alone, alone_labels = render(3, torch.tensor([9]), 16, 0.2, 0.8, 0.1)
    assert torch.equal(images[1:2], alone) and labels[1] == alone_labels[0]
    assert images.shape == (3, 1, 16, 16) and images.min() >= -1 and images.max() <= 1
    assert not torch.equal(render(4, torch.tensor([9]), 16, 0.2, 0.8, 0.1)[0], alone)


def test_heartbeat_groups_metrics_by_dataset() -> None:
    line = heartbeat_line(2, 4, 128, 12.34, {"train/loss": 0.41, "val/min_acc": 0.9, "val/clean/acc": 0.99,
                                              "val/faint/acc": 0.9, "val/clean/loss": 0.03})
    assert line == ("epoch 2/4 step 128 12.3s train/loss=0.41 val/min_acc=0.9 | clean acc=0.99 loss=0.03 "
                    "| faint acc=0.9")


def test_fast_dev_run_logs_every_dataset(tmp_path: Path) -> None:
    from reference_trainers.common.training import fit

    register(SPEC)
    config = compose_config(SPEC, ["experiment=smoke", "trainer.fast_dev_run=true", f"paths.output_dir={tmp_path}"])
    summary = fit(config, trainer_name="multidataset")
    assert (summary["status"], summary["steps"], summary["val_metric"]) == ("completed", 1, "val/min_acc")
    assert summary["samples_per_second"] > 0 and 0 <= summary["val_value"] <= 1


def test_figures_replace_only_their_own_section(tmp_path: Path) -> None:
    """Each figures script rewrites its own section of the shared report (``benchmarks/report_sections``)."""
    import sys

    from tests.helpers import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from report_sections import write_section
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    report = tmp_path / "trainers.md"
    report.write_text("# Reference trainer figures\n\n")
    write_section(report, "ocr", "## OCR\na")
    both = write_section(report, "mel", "## Mel\nb")
    again = write_section(report, "ocr", "## OCR\nc")
    assert both.startswith("# Reference trainer figures") and "a" in both.splitlines() and "b" in both.splitlines()
    assert again == both.replace("\na\n", "\nc\n") == report.read_text()
