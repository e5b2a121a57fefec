"""Time ``audit scan`` against ``radon cc`` on the lightning 2.6.6 sources, side by side.

Usage: ``python benchmarks/bench_scan.py [--repeat N] [--output reports/benchmarks.md]``
(it rewrites only its own marked section of the output).

Each repetition runs every command once, in a rotating order, so machine noise
falls on all of them alike; the report gives medians and the ratios of medians.
Peak memory is the resident-set peak of the measured process (``wait4``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build_corpus  # noqa: E402
from report_sections import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run_measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run; output discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command} exited {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def commands(corpus: Path) -> dict[str, list[str]]:
    audit = [sys.executable, "-m", "audit"]
    radon = shutil.which("radon") or "radon"
    return {
        "audit scan (default jobs)": [*audit, "scan", "--exit-zero", str(corpus)],
        "audit scan --jobs 1": [*audit, "scan", "--exit-zero", "--jobs", "1", str(corpus)],
        "radon cc": [radon, "cc", str(corpus)],
        "audit --version": [*audit, "--version"],
    }


def measure(corpus: Path, repeat: int) -> dict[str, dict[str, float]]:
    runs = commands(corpus)
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    peaks: dict[str, list[float]] = {name: [] for name in names}
    for index in range(repeat):
        for name in names[index % len(names):] + names[:index % len(names)]:
            elapsed, peak = run_measured(runs[name])
            times[name].append(elapsed)
            peaks[name].append(peak)
    return {name: {"median": statistics.median(times[name]), "min": min(times[name]), "max": max(times[name]),
                   "peak": max(peaks[name])} for name in names}


def corpus_size(corpus: Path) -> tuple[int, int]:
    files = list(corpus.rglob("*.py"))
    return len(files), sum(len(path.read_bytes().splitlines()) for path in files)


def render(results: dict[str, dict[str, float]], corpus: Path, repeat: int, command: str) -> str:
    files, lines = corpus_size(corpus)
    radon = results["radon cc"]["median"]
    rows = [f"| {name} | {row['median']:.3f} | {row['min']:.3f} | {row['max']:.3f} | "
            f"{row['median'] / radon:.2f} | {row['peak']:.0f} |" for name, row in results.items()]
    version = subprocess.run([shutil.which("radon") or "radon", "--version"], capture_output=True, text=True)
    return "\n".join([
        "# Benchmarks: `audit scan` versus `radon cc`", "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d')}.", "",
        f"- corpus: the `.py` files of the `lightning==2.6.6` wheel: {files} files, {lines} lines",
        f"- machine: {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs available, "
        f"Python {platform.python_version()}, radon {version.stdout.strip()}",
        f"- {repeat} repetitions, commands interleaved in rotating order; seconds are wall clock, "
        "peak is the measured process's maximum resident set", "",
        "| command | median s | min s | max s | median / radon cc | peak MiB |",
        "|---|---:|---:|---:|---:|---:|", *rows, "",
        "`audit scan` runs all seven rules (radon's complexity included) over one shared parse per file; "
        "with more than a few dozen files it spreads them over worker processes "
        "(peak for the default-jobs row is the parent process; `--jobs 1` shows the whole work in one process).",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "benchmarks.md")
    args = parser.parse_args()
    corpus = build_corpus()
    results = measure(corpus, args.repeat)
    command = "python benchmarks/bench_scan.py" + (f" --repeat {args.repeat}" if args.repeat != 7 else "")
    print(write_section(args.output, "bench_scan", render(results, corpus, args.repeat, command)))


if __name__ == "__main__":
    main()
