"""Code that CPython compiles but that is deeper than Python's default recursion limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from audit.config import settings_from_table
from audit.engine import analyse_source
from tests.helpers import FIXTURES, run_audit

TERMS = 2000
# Each term adds one decision (radon counts a conditional expression as one): complexity 1 + TERMS.
DEEP_DECISIONS = "def deep(x):\n    return " + " + ".join(["(1 if x else 2)"] * TERMS) + "\n"
DEEP_SUM = "def total(x):\n    return " + " + ".join(["x"] * TERMS) + "\n"

RADON_IN_A_BIG_STACK = """
import sys, threading
from radon.complexity import cc_visit
sys.setrecursionlimit(1_000_000)
threading.stack_size(512 * 1024 * 1024)
result = []
worker = threading.Thread(target=lambda: result.extend(block.complexity for block in cc_visit(sys.stdin.read())))
worker.start()
worker.join()
print(result[0])
"""


def analyse(source: str, *, measure: bool = False):
    settings = settings_from_table({"select": ["high-complexity"]}, root=FIXTURES, source=None)
    result = analyse_source("deep.py", source.encode(), settings, measure=measure)
    assert result.error is None, result.error
    return result


def test_the_examples_compile() -> None:
    compile(DEEP_DECISIONS, "deep.py", "exec")
    compile(DEEP_SUM, "deep.py", "exec")


def test_complexity_of_a_2000_term_expression_equals_radon_run_with_a_big_stack() -> None:
    radon = subprocess.run([sys.executable, "-c", RADON_IN_A_BIG_STACK], input=DEEP_DECISIONS, capture_output=True,
                           text=True, check=True)
    [finding] = analyse(DEEP_DECISIONS).findings
    assert finding.value == int(radon.stdout) == TERMS + 1


def test_per_file_metrics_survive_deep_code() -> None:
    metrics = analyse(DEEP_SUM, measure=True).metrics
    assert [(function.qualname, function.complexity) for function in metrics.functions] == [("total", 1)]


def test_a_report_is_written_when_the_only_file_is_deep(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text(DEEP_SUM)
    output = tmp_path / "assessment.md"
    done = run_audit("report", str(tmp_path), "--output", str(output), "--date", "2025-01-01")
    assert done.returncode == 0, done.stderr
    assert "`total`" in output.read_text()
