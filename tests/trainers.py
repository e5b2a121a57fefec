"""Helpers for the trainer tests: compose a config in-process, run an entry point as a user would."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import ROOT

# A model and data small enough that a CPU epoch takes a second or two.
TINY = ("experiment=smoke", "data.train_size=512", "data.val_size=64", "model.channels=[8,16,16]",
        "model.hidden=16", "trainer.log_every_n_steps=1")


def compose_ocr(overrides: list[str] | tuple[str, ...] = (), output_dir: Path | None = None):
    """The OCR config composed as the entry point composes it (schema included), without a Hydra run."""
    from hydra import compose, initialize_config_module

    from reference_trainers.common.launch import register
    from reference_trainers.ocr.config import SPEC

    register(SPEC)
    extra = [f"paths.output_dir={output_dir}"] if output_dir is not None else []
    with initialize_config_module(config_module=SPEC.config_package, version_base="1.3"):
        return compose(config_name=SPEC.config_name, overrides=[*overrides, *extra])


def trainer_command(module: str, run_dir: Path | None, *overrides: str) -> list[str]:
    run_dir_override = [f"hydra.run.dir={run_dir}"] if run_dir is not None else []
    return [sys.executable, "-m", module, *run_dir_override, *overrides]


def trainer_env() -> dict[str, str]:
    inherited = os.environ.get("PYTHONPATH")
    python_path = str(ROOT) if not inherited else os.pathsep.join((str(ROOT), inherited))
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": python_path}


def run_command(module: str, run_dir: Path | None, *overrides: str, timeout: float = 600,
                cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a trainer entry point to its end; stdout and stderr together in ``stdout``."""
    return subprocess.run(trainer_command(module, run_dir, *overrides), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, env=trainer_env(), check=False)


def run_trainer(module: str, run_dir: Path, *overrides: str, timeout: float = 600) -> dict:
    """Run a Hydra trainer to completion and return its ``summary.json``."""
    done = run_command(module, run_dir, *overrides, timeout=timeout)
    assert done.returncode == 0, done.stdout[-5000:]
    return json.loads((run_dir / "summary.json").read_text())


def train_losses(run_dir: Path) -> dict[int, float]:
    """Train loss by step, from a run's ``logs/metrics.csv``."""
    with open(run_dir / "logs" / "metrics.csv") as handle:
        return {int(row["step"]): float(row["train/loss"]) for row in csv.DictReader(handle) if row["train/loss"]}


@dataclass(frozen=True)
class StoppedAndResumed:
    """A run stopped by SIGTERM (``first``, its ``stopped`` summary) and the run that resumed it."""

    first: Path
    stopped: dict
    second: Path
    resumed: dict
    resumed_output: str


def stop_then_resume(module: str, tmp_path: Path, overrides: tuple[str, ...], stop: tuple[str, ...],
                     step: int) -> StoppedAndResumed:
    """Stop a run with SIGTERM at ``step`` (``stop`` are the overrides that do it), then resume it.

    Checks what every trainer owes its user: exit 143 with the ``resume=`` hint, the stopped run's
    files only read by the resumed run, which completes from ``step`` and names where it came from.
    """
    first = tmp_path / "first"
    stopped = run_command(module, first, *overrides, *stop)
    assert stopped.returncode == 143, stopped.stdout[-3000:]
    summary = json.loads((first / "summary.json").read_text())
    assert (summary["status"], summary["steps"], summary["signal"]) == ("interrupted", step, 15)
    assert stopped.stdout.rstrip().endswith(f"continue with resume={first}")
    before = file_hashes(first)

    resumed = run_command(module, None, f"resume={first}", cwd=tmp_path)  # the new run directory goes under cwd
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    assert file_hashes(first) == before  # the stopped run's files are only read
    [second] = [path.parent for path in (tmp_path / "outputs").rglob("summary.json")]
    result = json.loads((second / "summary.json").read_text())
    assert (result["status"], result["resumed_from"], result["start_step"]) == ("completed", str(first), step)
    return StoppedAndResumed(first, summary, second, result, resumed.stdout)


def assert_continues_exactly(runs: StoppedAndResumed, uninterrupted: Path, first_logged_step: int) -> None:
    """The resumed run ends as the ``uninterrupted`` one did and logs its train losses from where it resumed."""
    result, expected = runs.resumed, json.loads((uninterrupted / "summary.json").read_text())
    assert result["steps"] == expected["steps"]
    assert result["lineage_first_train_loss"] == runs.stopped["first_train_loss"] == expected["first_train_loss"]
    assert result["last_train_loss"] == pytest.approx(expected["last_train_loss"], rel=1e-5)
    assert result["val_value"] == pytest.approx(expected["val_value"], abs=1e-6)
    whole, continued = train_losses(uninterrupted), train_losses(runs.second)
    assert min(continued) == first_logged_step
    assert [continued[step] for step in sorted(continued)] == pytest.approx(
        [whole[step] for step in sorted(continued)], rel=1e-5)


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file under ``directory``, by relative path."""
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*")) if path.is_file()}


class SignalAtStep:
    """A callback that sends ``signum`` to its own process once ``global_step`` reaches ``step``.

    Composed into a run from the command line (``+callbacks.stop._target_=tests.trainers.SignalAtStep``),
    so a test interrupts a run at an exact step instead of after a guessed delay.
    """

    def __new__(cls, step: int, signum: int = 15, rank: int | None = None):
        import lightning.pytorch as pl

        class _SignalAtStep(pl.Callback):
            def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
                if trainer.global_step == step and rank in (None, trainer.global_rank):
                    os.kill(os.getpid(), signum)

        return _SignalAtStep()


def stop_at(step: int, signum: int = 15, rank: int | None = None) -> tuple[str, ...]:
    """Overrides that make a run (or one rank of it) signal itself at ``step``."""
    only_rank = (f"+callbacks.stop.rank={rank}",) if rank is not None else ()
    return ("+callbacks.stop._target_=tests.trainers.SignalAtStep", f"+callbacks.stop.step={step}",
            f"+callbacks.stop.signum={signum}", *only_rank)
