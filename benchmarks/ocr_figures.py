"""Measure the OCR reference trainer and write its section of ``reports/trainers.md``.

Usage: ``python benchmarks/ocr_figures.py [--output reports/trainers.md] [--repeat 3]``

Always measures the CPU smoke run. With CUDA it also measures, on that GPU:
the full run (``experiment=full``, bf16-mixed) until validation sequence accuracy
reaches 98% (time to target, GPU busy fraction, peak memory), then ``bf16-mixed``
against ``32-true`` throughput, side by side in alternating runs of equal length
(medians over ``--repeat``). Without CUDA the report says so and gives no GPU figure.
``--rehearse`` runs the GPU plan on the CPU with tiny sizes, to check the script.
"""

from __future__ import annotations

import argparse
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

from reference_trainers.common.callbacks import GpuBusySampler, TimeToTarget  # noqa: E402
from reference_trainers.common.composition import compose_config  # noqa: E402
from reference_trainers.common.launch import register  # noqa: E402
from reference_trainers.common.training import fit  # noqa: E402
from reference_trainers.ocr.config import SPEC  # noqa: E402

TARGET = 0.98


def run(overrides: list[str], workdir: Path, callbacks: tuple = ()) -> dict:
    """One training run composed from the OCR configs; returns its summary."""
    output = Path(tempfile.mkdtemp(dir=workdir))
    register(SPEC)
    config = compose_config(SPEC, [*overrides, f"paths.output_dir={output}"])
    return fit(config, trainer_name="ocr", extra_callbacks=callbacks)


def time_to_target(plan: dict, workdir: Path) -> dict:
    timer, sampler = TimeToTarget("val/seq_acc", TARGET), GpuBusySampler()
    summary = run(plan["full"], workdir, (timer, sampler))
    return {**summary, "target_seconds": timer.seconds, "target_step": timer.step,
            "busy_fraction": sampler.busy_fraction}


def throughput(plan: dict, workdir: Path, repeat: int) -> dict[str, list[float]]:
    """Samples/s of each precision, alternating the order each repetition."""
    rates: dict[str, list[float]] = {precision: [] for precision in plan["precisions"]}
    for index in range(repeat):
        order = plan["precisions"] if index % 2 == 0 else plan["precisions"][::-1]
        for precision in order:
            summary = run([*plan["throughput"], f"trainer.precision={precision}"], workdir)
            rates[precision].append(summary["samples_per_second"])
    return rates


def gpu_plan(rehearse: bool) -> dict:
    if rehearse:
        base = ["experiment=smoke", "trainer.max_epochs=1", "data.train_size=1024"]
        return {"full": [*base, "trainer.val_check_interval=0.5"],
                "throughput": [*base, "trainer.max_steps=10", "trainer.limit_val_batches=0"],
                "precisions": ["bf16-mixed", "32-true"]}
    base = ["experiment=full", "logger=none", "trainer.enable_progress_bar=false"]
    return {"full": [*base, "trainer.val_check_interval=0.25"],
            "throughput": [*base, "trainer.max_steps=400", "trainer.limit_val_batches=0"],
            "precisions": ["bf16-mixed", "32-true"]}


def gpu_section(plan: dict, workdir: Path, repeat: int) -> list[str]:
    full = time_to_target(plan, workdir)
    rates = throughput(plan, workdir, repeat)
    medians = {precision: statistics.median(values) for precision, values in rates.items()}
    reached = (f"{full['target_seconds']:.1f} s (step {full['target_step']})" if full["target_seconds"] is not None
               else f"not reached in {full['train_seconds']:.0f} s (best {full['val_value']:.4f})")
    busy = f"{full['busy_fraction']:.0%}" if full["busy_fraction"] is not None else "not measured (no nvidia-smi)"
    rows = [f"| {precision} | {medians[precision]:.0f} | {', '.join(f'{rate:.0f}' for rate in rates[precision])} |"
            for precision in plan["precisions"]]
    return [
        f"## GPU: {full['device']} (measured)", "",
        f"torch {full['torch']}; `{' '.join(plan['full'])}`.", "",
        "| figure | value |", "|---|---:|",
        f"| time to {TARGET:.0%} validation sequence accuracy | {reached} |",
        f"| final validation sequence accuracy | {full['val_value']:.4f} |",
        f"| samples/s over the whole run ({full['precision']}) | {full['samples_per_second']} |",
        f"| GPU busy fraction while training (nvidia-smi samples) | {busy} |",
        f"| peak GPU memory (MiB, allocated) | {full['peak_gpu_memory_mib']} |", "",
        f"Throughput, `{' '.join(plan['throughput'])}`, {repeat} alternating repetitions:", "",
        "| precision | median samples/s | runs |", "|---|---:|---|", *rows, "",
        f"bf16-mixed / 32-true: **{medians['bf16-mixed'] / medians['32-true']:.2f}x**.",
    ]


def cpu_section(workdir: Path) -> list[str]:
    summary = run(["experiment=smoke", "logger=none"], workdir)
    return [
        "## CPU smoke run (measured)", "",
        f"`python -m reference_trainers.ocr experiment=smoke` on {platform.machine()}, "
        f"{torch.get_num_threads()} threads, torch {summary['torch']}.", "",
        "| figure | value |", "|---|---:|",
        f"| epochs / steps | {summary['epochs']} / {summary['steps']} |",
        f"| wall seconds (in-process, imports excluded) | {summary['wall_seconds']} |",
        f"| samples per second (validation included) | {summary['samples_per_second']} |",
        f"| first / last train CTC loss | {summary['first_train_loss']:.3f} / {summary['last_train_loss']:.3f} |",
        f"| validation sequence accuracy | {summary['val_value']:.4f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "trainers.md")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rehearse", action="store_true", help="run the GPU plan on the CPU, tiny, to check it")
    args = parser.parse_args()
    lines = ["# Reference trainer figures", "",
             f"Written by `python benchmarks/ocr_figures.py` on {time.strftime('%Y-%m-%d')}.", ""]
    with tempfile.TemporaryDirectory() as workdir:
        if torch.cuda.is_available() or args.rehearse:
            lines += gpu_section(gpu_plan(args.rehearse), Path(workdir), args.repeat) + [""]
        else:
            lines += ["## GPU", "", "**No GPU was available** on the machine that ran this script, so no GPU "
                      "figure was measured (time to 98% accuracy, bf16-mixed versus 32-true, busy fraction, "
                      "peak memory). None is estimated.", ""]
        lines += cpu_section(Path(workdir))
    print(write_section(args.output, "ocr", "\n".join(lines)))


if __name__ == "__main__":
    main()
