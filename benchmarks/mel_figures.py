"""Measure the mel reference trainer and write its section of ``reports/trainers.md``.

Usage: ``python benchmarks/mel_figures.py [--output reports/trainers.md] [--repeat 3] [--rehearse]``

With CUDA, on that GPU: builds the ``experiment=full`` dataset, trains the full run
(bf16 autocast, ``channels_last``) measuring test accuracy at every validation
until the end (time to 95% test accuracy, peak GPU memory), then samples/s for
bf16 autocast on/off and ``channels_last`` on/off, side by side in alternating
order (medians over ``--repeat``): end to end (HDF5 loader included) and per
optimizer step on one device-resident batch. Always measures the CPU smoke run.
Without CUDA the section says so and gives no GPU figure. ``--rehearse`` runs the
GPU plan on the CPU with tiny sizes to check the script, and prints its section
instead of writing it (unless ``--output`` is given).
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from report_sections import write_section  # noqa: E402

from reference_trainers.common.composition import compose_config  # noqa: E402
from reference_trainers.common.launch import register  # noqa: E402
from reference_trainers.mel.config import SPEC  # noqa: E402
from reference_trainers.mel.data import write_dataset  # noqa: E402
from reference_trainers.mel.loop import Loop, LoopCallback, fit  # noqa: E402

SECTION = "mel"
TARGET = 0.95
# (precision, channels_last); the first is the trainer's GPU default, the last the plain baseline.
VARIANTS = (("bf16-mixed", True), ("bf16-mixed", False), ("32-true", True), ("32-true", False))


class TimeToTarget(LoopCallback):
    """The seconds (from the first step) and step at which ``metric`` first reaches ``target``."""

    def __init__(self, metric: str, target: float) -> None:
        self.metric, self.target = metric, target
        self.seconds: float | None = None
        self.step: int | None = None
        self.best = 0.0
        self._started = 0.0

    def on_train_start(self, step: int) -> None:
        self._started = time.perf_counter()

    def on_validation_end(self, step: int, metrics: dict[str, float]) -> None:
        value = metrics.get(self.metric, 0.0)
        self.best = max(self.best, value)
        if self.seconds is None and value >= self.target:
            self.seconds, self.step = time.perf_counter() - self._started, step


class StepTimer(LoopCallback):
    """Samples/s between step ``first`` and step ``last`` (worker start-up and warm-up left out)."""

    def __init__(self, first: int, last: int, batch_size: int) -> None:
        self.first, self.last, self.batch_size = first, last, batch_size
        self.rate: float | None = None
        self._started = 0.0

    def _now(self) -> float:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_train_batch_end(self, step: int) -> None:
        if step == self.first:
            self._started = self._now()
        elif step == self.last:
            self.rate = (self.last - self.first) * self.batch_size / (self._now() - self._started)


def compose(overrides: list[str], workdir: Path):
    register(SPEC)
    output = Path(tempfile.mkdtemp(dir=workdir))
    return compose_config(SPEC, [*overrides, f"paths.output_dir={output}"])


def run(overrides: list[str], workdir: Path, callbacks: tuple[LoopCallback, ...] = ()) -> dict:
    """One training run composed from the mel configs; returns its summary."""
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    return fit(compose(overrides, workdir), trainer_name="mel", extra_callbacks=callbacks)


def variant_overrides(precision: str, channels_last: bool) -> list[str]:
    return [f"trainer.precision={precision}", f"trainer.channels_last={str(channels_last).lower()}"]


def label(precision: str, channels_last: bool) -> str:
    return f"{precision}, {'channels_last' if channels_last else 'contiguous'}"


def step_rate(overrides: list[str], workdir: Path, steps: int) -> float:
    """Samples/s of ``train_step`` alone on one batch already on the device (no loader)."""
    loop = Loop(compose(overrides, workdir))
    dataset = loop.datasets["train"]
    batch = dataset[list(range(loop.config.data.batch_size))]
    dataset.close()
    for _ in range(max(3, steps // 10)):  # warm-up: kernel selection, allocator
        loop.train_step(batch)
    if loop.device.type == "cuda":
        torch.cuda.synchronize(loop.device)
    started = time.perf_counter()
    for _ in range(steps):
        loop.train_step(batch)
    if loop.device.type == "cuda":
        torch.cuda.synchronize(loop.device)
    return steps * len(batch[1]) / (time.perf_counter() - started)


def throughput(plan: dict, workdir: Path, repeat: int) -> dict[tuple[str, bool], dict[str, list[float]]]:
    """End-to-end and step-only samples/s of each variant, the order reversed every other repetition."""
    rates = {variant: {"end_to_end": [], "step_only": []} for variant in VARIANTS}
    for index in range(repeat):
        for variant in VARIANTS if index % 2 == 0 else VARIANTS[::-1]:
            overrides = [*plan["throughput"], *variant_overrides(*variant)]
            timer = StepTimer(plan["warmup"], plan["steps"], compose(overrides, workdir).data.batch_size)
            run(overrides, workdir, (timer,))
            rates[variant]["end_to_end"].append(timer.rate)
            rates[variant]["step_only"].append(step_rate(overrides, workdir, plan["steps"]))
    return rates


def gpu_plan(rehearse: bool, workdir: Path) -> dict:
    if rehearse:
        data = ["experiment=smoke", f"data.path={workdir / 'rehearse.h5'}", "data.clips.train_size=512",
                "data.clips.val_size=64", "data.clips.test_size=64"]
        base = [*data, "logger=none"]
        return {"data": data, "full": [*base, "trainer.max_epochs=2", "trainer.val_every_n_steps=8",
                                       "trainer.test_every_validation=true"],
                "throughput": [*base, "trainer.max_steps=10", "trainer.validate=false"], "steps": 10, "warmup": 3}
    data = ["experiment=full", f"data.path={workdir / 'full.h5'}"]
    base = [*data, "logger=none"]
    return {"data": data, "full": [*base, "trainer.val_every_n_steps=100", "trainer.test_every_validation=true"],
            "throughput": [*base, "trainer.max_steps=600", "trainer.validate=false"], "steps": 600, "warmup": 100}


def build_data(plan: dict, workdir: Path) -> float:
    config = compose(plan["data"], workdir)
    started = time.perf_counter()
    write_dataset(Path(config.data.path), config.data.clips)
    return time.perf_counter() - started


def _ratio(medians: dict, key: str, top: tuple[str, bool], bottom: tuple[str, bool]) -> str:
    return f"{medians[top][key] / medians[bottom][key]:.2f}x"


def gpu_section(plan: dict, workdir: Path, repeat: int, rehearse: bool) -> list[str]:
    build_seconds = build_data(plan, workdir)
    timer = TimeToTarget("test/acc", TARGET)
    full = run(plan["full"], workdir, (timer,))
    rates = throughput(plan, workdir, repeat)
    medians = {variant: {key: statistics.median(values) for key, values in kinds.items()}
               for variant, kinds in rates.items()}
    reached = (f"{timer.seconds:.1f} s (step {timer.step})" if timer.seconds is not None
               else f"not reached in {full['train_seconds']:.0f} s (best {timer.best:.4f})")
    rows = [f"| {label(*variant)} | {medians[variant]['end_to_end']:.0f} | {medians[variant]['step_only']:.0f} | "
            f"{', '.join(f'{rate:.0f}' for rate in rates[variant]['end_to_end'])} |" for variant in VARIANTS]
    best, plain = VARIANTS[0], VARIANTS[-1]
    ratios = [f"| {name} | {_ratio(medians, 'end_to_end', top, bottom)} | {_ratio(medians, 'step_only', top, bottom)} |"
              for name, top, bottom in (("bf16 autocast + channels_last / fp32 contiguous", best, plain),
                                        ("bf16 autocast / fp32 (both channels_last)", best, VARIANTS[2]),
                                        ("channels_last / contiguous (both bf16)", best, VARIANTS[1]))]
    return [
        f"### GPU plan rehearsed on {full['device']} (tiny sizes, not GPU figures)" if rehearse
        else f"### GPU: {full['device']} (measured)", "",
        f"torch {full['torch']}; `{' '.join(plan['full'])}` (test accuracy measured at every validation).", "",
        "| figure | value |", "|---|---:|",
        f"| building the dataset (synthesis, log-mel, HDF5; CPU) | {build_seconds:.1f} s |",
        f"| time to {TARGET:.0%} test accuracy (from the first step, validation included) | {reached} |",
        f"| final validation / test accuracy | {full['val_value']:.4f} / {full['test_accuracy']:.4f} |",
        f"| steps, epochs | {full['steps']}, {full['epochs']} |",
        f"| samples/s over the whole run ({full['precision']}, validation included) | {full['samples_per_second']} |",
        f"| peak GPU memory (MiB, allocated) | {full['peak_gpu_memory_mib']} |", "",
        f"Throughput, `{' '.join(plan['throughput'])}`, {repeat} alternating repetitions; end to end: steps "
        f"{plan['warmup']} to {plan['steps']} of a run reading HDF5 through the DataLoader workers; step only: "
        f"`train_step` repeated {plan['steps']} times on one batch already on the device:", "",
        "| variant | end to end, median samples/s | step only, median samples/s | end-to-end runs |",
        "|---|---:|---:|---|", *rows, "",
        "| ratio (medians, same run of this script) | end to end | step only |", "|---|---:|---:|", *ratios,
    ]


def cpu_section(workdir: Path) -> list[str]:
    summary = run(["experiment=smoke", "logger=none", f"data.path={workdir / 'smoke.h5'}"], workdir)
    return [
        "### CPU smoke run (measured)", "",
        f"`python -m reference_trainers.mel experiment=smoke` on {platform.machine()}, "
        f"{torch.get_num_threads()} threads, torch {summary['torch']}.", "",
        "| figure | value |", "|---|---:|",
        f"| epochs / steps | {summary['epochs']} / {summary['steps']} |",
        f"| wall seconds (in-process, imports excluded, dataset building included) | {summary['wall_seconds']} |",
        f"| samples per second (validation included) | {summary['samples_per_second']} |",
        f"| first / last train loss | {summary['first_train_loss']:.3f} / {summary['last_train_loss']:.3f} |",
        f"| validation / test accuracy (chance 1/7) | {summary['val_value']:.4f} / {summary['test_accuracy']:.4f} |",
    ]


def section(rehearse: bool, repeat: int) -> str:
    lines = ["## mel trainer (plain PyTorch)", "",
             f"Written by `python benchmarks/mel_figures.py{' --rehearse' if rehearse else ''}` on "
             f"{time.strftime('%Y-%m-%d')}.", ""]
    with tempfile.TemporaryDirectory() as workdir:
        if torch.cuda.is_available() or rehearse:
            lines += gpu_section(gpu_plan(rehearse, Path(workdir)), Path(workdir), repeat, rehearse) + [""]
        else:
            lines += ["### GPU", "", "**No GPU was available** on the machine that ran this script, so no GPU "
                      "figure was measured (time to 95% test accuracy, bf16 autocast and channels_last "
                      "throughput, peak memory). None is estimated.", ""]
        lines += cpu_section(Path(workdir))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=None, help="default: reports/trainers.md (not with --rehearse)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rehearse", action="store_true", help="run the GPU plan on the CPU, tiny, to check it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(message)s", datefmt="%H:%M:%S")
    text = section(args.rehearse, args.repeat)
    output = args.output or (None if args.rehearse else ROOT / "reports" / "trainers.md")
    if output is not None:
        write_section(output, SECTION, text)
    print(text)


if __name__ == "__main__":
    main()
