"""Measure the OCR reference trainer and write its section of ``reports/trainers.md``.

Usage: ``python benchmarks/ocr_figures.py [--output reports/trainers.md] [--repeat 3] [--rehearse]``,
the same as ``python benchmarks/trainer_figures.py ocr`` (see there for what is measured).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trainer_figures import main  # noqa: E402

if __name__ == "__main__":
    main(trainer="ocr")
