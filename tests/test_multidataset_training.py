"""Real CPU trainings of the multi-dataset trainer: smoke, DDP (gloo) with disjoint shards, stop and resume."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")
pytest.importorskip("hydra")

from tests.trainers import (  # noqa: E402
    assert_continues_exactly,
    run_command,
    run_trainer,
    stop_at,
    stop_then_resume,
)

pytestmark = pytest.mark.slow
MULTIDATASET = "reference_trainers.multidataset"
DATASETS = ("clean", "faint", "noisy", "small")
# 512 samples of 32 per epoch: 16 steps; two epochs.
TINY = ("experiment=smoke", "data.samples_per_epoch=512", "data.batch_size=32", "trainer.max_epochs=2",
        "model.channels=[8,16]", "trainer.log_every_n_steps=1")


class RecordShard:
    """A callback that writes the indices its rank's sampler gives in each epoch to ``<directory>/shard-<rank>.json``.

    Composed from the command line (``+callbacks.shard._target_=...``) after the curriculum feed.
    """

    def __new__(cls, directory: str):
        import lightning.pytorch as pl

        class _RecordShard(pl.Callback):
            def on_train_epoch_start(self, trainer, pl_module) -> None:
                path = Path(directory) / f"shard-{trainer.global_rank}.json"
                shards = json.loads(path.read_text()) if path.is_file() else []
                path.write_text(json.dumps([*shards, list(trainer.train_dataloader.sampler)]))

        return _RecordShard()


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    run_dir = tmp_path_factory.mktemp("smoke")
    done = run_command(MULTIDATASET, run_dir, "experiment=smoke")
    assert done.returncode == 0, done.stdout[-5000:]
    return json.loads((run_dir / "summary.json").read_text()), done.stdout, run_dir


def test_smoke_run_learns_every_dataset(smoke_run: tuple[dict, str, Path]) -> None:
    summary, _, run_dir = smoke_run
    assert (summary["trainer"], summary["status"], summary["device"]) == ("multidataset", "completed", "cpu")
    assert summary["epochs"] == 4 and summary["steps"] == 4 * 4096 // 64
    assert summary["last_train_loss"] <= summary["first_train_loss"] / 2
    assert summary["val_metric"] == "val/min_acc" and summary["val_value"] > 0.4  # chance is 0.1
    with open(run_dir / "logs" / "metrics.csv") as handle:
        last = [row for row in csv.DictReader(handle) if row["val/min_acc"]][-1]
    accuracy = {name: float(last[f"val/{name}/acc"]) for name in DATASETS}
    assert min(accuracy.values()) == pytest.approx(summary["val_value"]) and accuracy["clean"] > 0.9


def test_heartbeat_is_one_line_per_epoch_with_every_dataset(smoke_run: tuple[dict, str, Path]) -> None:
    _, output, _ = smoke_run
    beats = [line for line in output.splitlines() if " INFO epoch " in line]
    assert [beat.split(" INFO ")[1].split(" step ")[0] for beat in beats] == [f"epoch {n}/4" for n in range(1, 5)]
    assert all(f"| {name} acc=" in beat for beat in beats for name in DATASETS)
    assert "Traceback" not in output and "Warning" not in output, output


def test_ddp_on_two_cpu_processes_gives_disjoint_shards(tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    summary = run_trainer(MULTIDATASET, tmp_path / "run", *TINY, "trainer.devices=2", "trainer.strategy=ddp",
                          "+callbacks.shard._target_=tests.test_multidataset_training.RecordShard",
                          f"+callbacks.shard.directory={shards}")
    assert summary["world_size"] == 2 and summary["steps"] == 2 * 512 // 32 // 2  # each rank draws half an epoch
    assert summary["first_train_loss"] > summary["last_train_loss"] and 0 <= summary["val_value"] <= 1
    by_rank = [json.loads((shards / f"shard-{rank}.json").read_text()) for rank in (0, 1)]
    for epoch in (0, 1):
        first, second = by_rank[0][epoch], by_rank[1][epoch]
        assert len(first) == len(second) == 256 and not set(first) & set(second)
    assert by_rank[0][0] != by_rank[0][1]  # reshuffled per epoch
    assert list((tmp_path / "run").rglob("summary.json")) == [tmp_path / "run" / "summary.json"]


def test_sigterm_then_resume_continues_exactly(tmp_path: Path) -> None:
    run_trainer(MULTIDATASET, tmp_path / "whole", *TINY)
    runs = stop_then_resume(MULTIDATASET, tmp_path, TINY, stop_at(20), step=20)  # in the second epoch
    assert runs.resumed["steps"] == 32
    assert_continues_exactly(runs, tmp_path / "whole", first_logged_step=20)


def test_legacy_trainer_runs_its_smoke_config(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.trainers import ROOT, trainer_env

    done = subprocess.run([sys.executable, "-m", "legacy.multidataset.train_ddp_multidataset", "--enable_curriculum",
                           "--smoke", "--output_dir", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600, env=trainer_env(), check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 4 * 4096 // 64 and summary["val_value"] > 0.4
    assert set(summary["per_dataset"]) == set(DATASETS)
