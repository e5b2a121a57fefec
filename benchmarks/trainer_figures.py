"""Measure a Lightning reference trainer and write its section of ``reports/trainers.md``.

Usage: ``python benchmarks/trainer_figures.py {ocr,multidataset} [--output reports/trainers.md] [--repeat 3]``

Always measures the trainer's CPU smoke run. With CUDA it also measures, on that GPU:
the full run (``experiment=full``, bf16-mixed) until the trainer's target (OCR: 98%
validation sequence accuracy; multidataset: 95% validation accuracy on every
dataset, each dataset's own time recorded too), with GPU busy fraction and peak
memory, then ``bf16-mixed`` against ``32-true`` throughput, side by side in
alternating runs of equal length (medians over ``--repeat``). Without CUDA the
section says so and gives no GPU figure. ``--rehearse`` runs the GPU plan on the
CPU with tiny sizes, to check the script. Only the trainer's own section of the
output file (between its ``<!-- section: NAME -->`` markers, ``report_sections``) is replaced.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from report_sections import write_section  # noqa: E402

from reference_trainers.common.callbacks import GpuBusySampler, TimeToTarget  # noqa: E402
from reference_trainers.common.composition import compose_config  # noqa: E402
from reference_trainers.common.launch import TrainerSpec, register  # noqa: E402
from reference_trainers.common.training import fit  # noqa: E402


@dataclass(frozen=True)
class Profile:
    """What differs between trainers: the target, how it is described, the sizes of the plans."""

    name: str
    title: str
    target: float
    target_text: str
    loss_text: str
    # The monitored metric, as a table row names it.
    metric_text: str
    rehearse_data: tuple[str, ...]
    # Metrics timed to the same target besides the monitored one (``{name}`` is each dataset).
    per_dataset_metric: str | None = None
    # The config key that switches the model to channels_last, where the trainer has one.
    channels_last_key: str | None = None

    def variants(self) -> dict[str, list[str]]:
        """The throughput variants and their overrides: each precision, in each memory layout the trainer has."""
        precisions = ("bf16-mixed", "32-true")
        if self.channels_last_key is None:
            return {precision: [f"trainer.precision={precision}"] for precision in precisions}
        return {f"{precision}, {layout}": [f"trainer.precision={precision}",
                                           f"{self.channels_last_key}={str(layout == 'channels_last').lower()}"]
                for precision in precisions for layout in ("channels_last", "contiguous")}

    def ratios(self, medians: dict[str, float]) -> str:
        """The ratios of median samples/s the variants answer."""
        if self.channels_last_key is None:
            return f"bf16-mixed / 32-true: **{medians['bf16-mixed'] / medians['32-true']:.2f}x**."
        bf16, fp32 = medians["bf16-mixed, contiguous"], medians["32-true, contiguous"]
        both = medians["bf16-mixed, channels_last"]
        return (f"bf16-mixed / 32-true (both contiguous): **{bf16 / fp32:.2f}x**; channels_last / contiguous "
                f"(both bf16-mixed): **{both / bf16:.2f}x**; bf16-mixed and channels_last / 32-true contiguous: "
                f"**{both / fp32:.2f}x**.")

    @property
    def spec(self) -> TrainerSpec:
        return importlib.import_module(f"reference_trainers.{self.name}.config").SPEC


PROFILES = {
    "ocr": Profile("ocr", "OCR trainer", 0.98, "validation sequence accuracy", "CTC loss",
                   "validation sequence accuracy", ("data.train_size=1024",)),
    "multidataset": Profile("multidataset", "Multi-dataset trainer", 0.95, "validation accuracy on every dataset",
                            "cross-entropy loss", "lowest validation accuracy over the datasets",
                            ("data.samples_per_epoch=1024",),
                            per_dataset_metric="val/{name}/acc", channels_last_key="model.channels_last"),
}


def compose(profile: Profile, overrides: list[str], output: Path) -> object:
    register(profile.spec)
    return compose_config(profile.spec, [*overrides, f"paths.output_dir={output}"])


def run(profile: Profile, overrides: list[str], workdir: Path, callbacks: tuple = ()) -> dict:
    """One training run composed from the trainer's configs; returns its summary."""
    config = compose(profile, overrides, Path(tempfile.mkdtemp(dir=workdir)))
    return fit(config, trainer_name=profile.spec.name, extra_callbacks=callbacks)


def time_to_target(profile: Profile, plan: dict, workdir: Path) -> dict:
    config = compose(profile, plan["full"], workdir)
    timers = {config.monitor.metric: TimeToTarget(config.monitor.metric, profile.target)}
    if profile.per_dataset_metric:
        timers |= {name: TimeToTarget(profile.per_dataset_metric.format(name=name), profile.target)
                   for name in config.data.datasets}
    sampler = GpuBusySampler()
    summary = run(profile, plan["full"], workdir, (*timers.values(), sampler))
    overall = timers.pop(config.monitor.metric)
    return {**summary, "target_seconds": overall.seconds, "target_step": overall.step,
            "busy_fraction": sampler.busy_fraction, "per_dataset": timers}


def throughput(profile: Profile, plan: dict, workdir: Path, repeat: int) -> dict[str, list[float]]:
    """Samples/s of each variant (precision, memory layout), alternating the order each repetition."""
    variants = profile.variants()
    rates: dict[str, list[float]] = {name: [] for name in variants}
    for index in range(repeat):
        order = list(variants) if index % 2 == 0 else list(variants)[::-1]
        for name in order:
            summary = run(profile, [*plan["throughput"], *variants[name]], workdir)
            if summary["status"] != "completed":  # a stopped run has no rate: write no figure rather than a wrong one
                raise SystemExit(f"the {name} throughput run ended {summary['status']}: no figures written")
            rates[name].append(summary["samples_per_second"])
    return rates


def gpu_plan(profile: Profile, rehearse: bool) -> dict:
    if rehearse:
        base = ["experiment=smoke", "trainer.max_epochs=1", *profile.rehearse_data]
        return {"full": [*base, "trainer.val_check_interval=0.5"],
                "throughput": [*base, "trainer.max_steps=10", "trainer.limit_val_batches=0"]}
    base = ["experiment=full", "logger=none", "trainer.enable_progress_bar=false"]
    return {"full": [*base, "trainer.val_check_interval=0.25"],
            "throughput": [*base, "trainer.max_steps=400", "trainer.limit_val_batches=0"]}


def _reached(timer_seconds: float | None, step: int | None, train_seconds: float) -> str:
    return f"{timer_seconds:.1f} s (step {step})" if timer_seconds is not None else (
        f"not reached in {train_seconds:.0f} s")


def gpu_section(profile: Profile, plan: dict, workdir: Path, repeat: int) -> list[str]:
    full = time_to_target(profile, plan, workdir)
    rates = throughput(profile, plan, workdir, repeat)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    reached = _reached(full["target_seconds"], full["target_step"], full["train_seconds"])
    if full["target_seconds"] is None:
        reached += f" (best {full['val_value']:.4f})"
    busy = f"{full['busy_fraction']:.0%}" if full["busy_fraction"] is not None else "not measured (no nvidia-smi)"
    rows = [f"| {name} | {medians[name]:.0f} | {', '.join(f'{rate:.0f}' for rate in rates[name])} |"
            for name in rates]
    per_dataset = [f"| time to {profile.target:.0%} on `{name}` | "
                   f"{_reached(timer.seconds, timer.step, full['train_seconds'])} |"
                   for name, timer in full["per_dataset"].items()]
    return [
        f"### GPU: {full['device']} (measured)", "",
        f"torch {full['torch']}; `{' '.join(plan['full'])}`.", "",
        "| figure | value |", "|---|---:|",
        f"| time to {profile.target:.0%} {profile.target_text} | {reached} |", *per_dataset,
        f"| final {profile.metric_text} | {full['val_value']:.4f} |",
        f"| samples/s over the whole run ({full['precision']}) | {full['samples_per_second']} |",
        f"| GPU busy fraction while training (nvidia-smi samples) | {busy} |",
        f"| peak GPU memory (MiB, allocated) | {full['peak_gpu_memory_mib']} |", "",
        f"Throughput, `{' '.join(plan['throughput'])}`, {repeat} alternating repetitions:", "",
        "| variant | median samples/s | runs |", "|---|---:|---|", *rows, "",
        profile.ratios(medians),
    ]


def cpu_section(profile: Profile, workdir: Path) -> list[str]:
    summary = run(profile, ["experiment=smoke", "logger=none"], workdir)
    return [
        "### CPU smoke run (measured)", "",
        f"`python -m reference_trainers.{profile.name} experiment=smoke` on {platform.machine()}, "
        f"{torch.get_num_threads()} threads, torch {summary['torch']}.", "",
        "| figure | value |", "|---|---:|",
        f"| epochs / steps | {summary['epochs']} / {summary['steps']} |",
        f"| wall seconds (in-process, imports excluded) | {summary['wall_seconds']} |",
        f"| samples per second (validation included) | {summary['samples_per_second']} |",
        f"| first / last train {profile.loss_text} | {summary['first_train_loss']:.3f} / "
        f"{summary['last_train_loss']:.3f} |",
        f"| {profile.metric_text} | {summary['val_value']:.4f} |",
    ]


def section(profile: Profile, workdir: Path, repeat: int, rehearse: bool) -> list[str]:
    lines = [f"## {profile.title}", "",
             f"Written by `python benchmarks/trainer_figures.py {profile.name}` on {time.strftime('%Y-%m-%d')}.", ""]
    if torch.cuda.is_available() or rehearse:
        lines += gpu_section(profile, gpu_plan(profile, rehearse), workdir, repeat) + [""]
    else:
        lines += ["### GPU", "", "**No GPU was available** on the machine that ran this script, so no GPU "
                  f"figure was measured (time to {profile.target:.0%} {profile.target_text}, bf16-mixed versus "
                  "32-true, busy fraction, peak memory). None is estimated.", ""]
    return lines + cpu_section(profile, workdir)


def main(argv: list[str] | None = None, trainer: str | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    if trainer is None:
        parser.add_argument("trainer", choices=sorted(PROFILES))
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "trainers.md")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rehearse", action="store_true", help="run the GPU plan on the CPU, tiny, to check it")
    args = parser.parse_args(argv)
    profile = PROFILES[trainer or args.trainer]
    with tempfile.TemporaryDirectory() as workdir:
        lines = section(profile, Path(workdir), args.repeat, args.rehearse)
    write_section(args.output, profile.name, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
