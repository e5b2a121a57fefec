"""What the project rules cost: ``audit scan`` of the torch sources with and without them, side by side.

Usage: ``python benchmarks/bench_project_rules.py [--repeat N] [--tree PATH]``

Both commands run the same scan over the installed torch package (default jobs:
a process per CPU); one ignores the four project rules (``duplicate-code``,
``backup-file``, ``unused-config-key``, ``undefined-config-key``). Repetitions
alternate the order; the section of ``reports/benchmarks.md`` gives the medians
and their ratio (the target is at most 1.15).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_sections import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROJECT_RULES = "duplicate-code,backup-file,unused-config-key,undefined-config-key"


def run_timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the worker processes included) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        raise RuntimeError(f"{command} exited {os.waitstatus_to_exitcode(status)}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def torch_sources() -> Path:
    found = subprocess.run([sys.executable, "-c", "import torch, os; print(os.path.dirname(torch.__file__))"],
                           capture_output=True, text=True, check=True)
    return Path(found.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tree", type=Path, help="folder to scan (default: the installed torch package)")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "benchmarks.md")
    args = parser.parse_args()
    tree = args.tree or torch_sources()
    audit = [sys.executable, "-m", "audit", "scan", "--exit-zero", "--format", "json"]
    commands = {"without project rules": [*audit, "--ignore", PROJECT_RULES, str(tree)],
                "with project rules": [*audit, str(tree)]}
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(args.repeat):
        order = list(commands) if index % 2 == 0 else list(reversed(commands))
        for name in order:
            elapsed, used = run_timed(commands[name])
            wall[name].append(elapsed)
            cpu[name].append(used)
    medians = {name: statistics.median(values) for name, values in wall.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    ratio = medians["with project rules"] / medians["without project rules"]
    cpu_ratio = cpu_medians["with project rules"] / cpu_medians["without project rules"]
    files = sum(1 for _ in tree.rglob("*.py"))
    rows = [f"| {name} | {medians[name]:.2f} | {min(values):.2f} | {max(values):.2f} | {cpu_medians[name]:.2f} |"
            for name, values in wall.items()]
    text = "\n".join([
        "## Project rules: the cost of phase 2", "",
        f"Produced by `python benchmarks/bench_project_rules.py` on {time.strftime('%Y-%m-%d')}: `audit scan` of "
        f"`{tree.name}` ({files} `.py` files), {args.repeat} repetitions in alternating order, default jobs, "
        f"{len(os.sched_getaffinity(0))} CPUs, Python {platform.python_version()}.", "",
        "| command | median wall s | min wall s | max wall s | median CPU s |", "|---|---:|---:|---:|---:|", *rows,
        "",
        f"Ratio of medians, with / without: wall **{ratio:.3f}**, CPU (user + system, workers included) "
        f"**{cpu_ratio:.3f}** (target: at most 1.15).",
    ])
    write_section(args.output, "project_rules", text)
    print(text)


if __name__ == "__main__":
    main()
