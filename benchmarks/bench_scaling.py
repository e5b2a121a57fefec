"""Time per function of analysing one file of 2k, 8k and 32k functions: linear growth keeps it flat.

Usage: ``python benchmarks/bench_scaling.py [--repeat N] [--sizes 2000,8000,32000] [--output reports/benchmarks.md]``

Each file is made of the same small function repeated (a loop, a branch, a
bare ``except`` that two rules flag, one ``# noqa`` suppression, methods in a
class every fourth function), so every function brings the same findings.
The analysis runs in this process (``analyse_source``: decode, parse, index,
every rule, suppressions), sizes interleaved in rotating order; the report gives
medians. The script exits 1 when the median time per function grows by more
than 1.5x from one size to the next. It rewrites only its own section of the output.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_sections import write_section  # noqa: E402

from audit.config import settings_from_table  # noqa: E402
from audit.engine import analyse_source  # noqa: E402

MAX_RATIO = 1.5
HEADER = "import os\nimport logging\n\nlog = logging.getLogger(__name__)\n\n\n"
FUNCTION = '''def step_{index}(batch, state):
    """Step {index}."""
    total = 0
    for item in batch:
        if item > {index}:
            total += item
    try:
        state.update(total)
    except:  # noqa: E722
        pass
    return total


'''
METHODS = '''class Stage{index}:
    def run(self, batch):
        return [item * {index} for item in batch if item]

    def close(self):
        try:
            self.handle.close()
        except Exception:
            log.debug("close failed")


'''


def generated_source(functions: int) -> bytes:
    """A module of ``functions`` functions: module-level steps, and every fourth one a class with two methods."""
    parts = [HEADER]
    for index in range(0, functions, 4):
        parts += [FUNCTION.format(index=index + offset) for offset in range(2)]
        parts.append(METHODS.format(index=index))
    return "".join(parts).encode()


def time_once(data: bytes) -> tuple[float, int]:
    settings = settings_from_table({}, root=ROOT, source=None)
    gc.collect()
    start = time.perf_counter()
    result = analyse_source("generated.py", data, settings)
    elapsed = time.perf_counter() - start
    if result.error is not None or result.rule_errors:
        raise RuntimeError(f"the generated file did not analyse: {result.error or result.rule_errors}")
    return elapsed, len(result.findings)


def measure(sizes: list[int], repeat: int) -> dict[int, dict[str, float]]:
    sources = {size: generated_source(size) for size in sizes}
    times: dict[int, list[float]] = {size: [] for size in sizes}
    findings: dict[int, int] = {}
    for round_index in range(repeat):
        shift = round_index % len(sizes)
        for size in sizes[shift:] + sizes[:shift]:
            elapsed, findings[size] = time_once(sources[size])
            times[size].append(elapsed)
    return {size: {"median": statistics.median(times[size]), "min": min(times[size]), "max": max(times[size]),
                   "bytes": len(sources[size]), "lines": sources[size].count(b"\n"), "findings": findings[size]}
            for size in sizes}


def ratios(results: dict[int, dict[str, float]]) -> list[float]:
    """Median time per function of each size over that of the size before it."""
    per_function = [row["median"] / size for size, row in results.items()]
    return [later / earlier for earlier, later in zip(per_function, per_function[1:], strict=False)]


def render(results: dict[int, dict[str, float]], repeat: int, command: str) -> str:
    growth = [None, *ratios(results)]
    rows = [f"| {size} | {row['lines']:.0f} | {row['bytes'] / 1e6:.1f} | {row['findings']:.0f} | "
            f"{row['median']:.2f} | {row['min']:.2f} | {row['max']:.2f} | {row['median'] / size * 1e6:.0f} | "
            f"{'-' if ratio is None else f'{ratio:.2f}'} |" for (size, row), ratio in zip(results.items(), growth,
                                                                                        strict=True)]
    worst = max(ratio for ratio in growth if ratio is not None)
    verdict = "passes" if worst <= MAX_RATIO else "FAILS"
    return "\n".join([
        "# Benchmarks: scan time against file size", "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d')}.", "",
        "- one generated file per size, all functions alike (a loop, a branch, a bare `except` flagged by two rules "
        "and suppressed for one by `# noqa: E722`; every fourth function a class with two methods)",
        f"- machine: {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs available, "
        f"Python {platform.python_version()}",
        f"- {repeat} repetitions, sizes interleaved in rotating order; `analyse_source` in one process "
        "(decode, parse, index, every rule, suppressions); wall-clock seconds",
        "- files above `max-file-size` (default 5 MB) are skipped by `audit scan`; the benchmark analyses "
        "every size directly", "",
        "| functions | lines | MB | findings | median s | min s | max s | µs per function | growth |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|", *rows, "",
        f"Growth is the median time per function over that of the previous size. The benchmark fails above "
        f"{MAX_RATIO}; the largest here is {worst:.2f}: it {verdict}.",
        "",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="2000,8000,32000", help="function counts, comma-separated")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "benchmarks.md")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    results = measure(sizes, args.repeat)
    command = "python benchmarks/bench_scaling.py" + (f" --repeat {args.repeat}" if args.repeat != 5 else "")
    if args.sizes != "2000,8000,32000":
        command += f" --sizes {args.sizes}"
    print(write_section(args.output, "bench_scaling", render(results, args.repeat, command)))
    return 0 if max(ratios(results)) <= MAX_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
