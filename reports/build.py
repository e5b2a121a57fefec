"""Regenerate the committed reports: ``python reports/build.py`` (from the repository root).

``tests/test_reports.py`` runs the same commands and fails when a committed report is stale.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATE = "2026-11-24"
SHARED_OCR = ["reference_trainers/ocr/glyphs.py", "reference_trainers/ocr/data.py", "reference_trainers/ocr/model.py"]
# What legacy/mel/train.py imports from the refactored trainer: the same code on both sides of the compare.
SHARED_MEL = ["reference_trainers/mel/data.py", "reference_trainers/mel/model.py", "reference_trainers/mel/synth.py",
              "reference_trainers/mel/features.py"]
# The drawing code both multi-dataset versions use (the legacy one imports it).
SHARED_MULTIDATASET = ["reference_trainers/multidataset/render.py"]

# report file -> the audit command that writes it (run from the repository root)
REPORTS = {
    "legacy_ocr_assessment.md": ["report", "legacy/ocr/train.py", "--date", DATE,
                                 "--title", "Assessment: legacy OCR trainer entry point"],
    "ocr_compare.md": ["compare", "--format", "markdown", "--before", "legacy/ocr/train.py", *SHARED_OCR,
                       "--after", "reference_trainers/ocr", "reference_trainers/common"],
    "legacy_mel_assessment.md": ["report", "legacy/mel", "--date", DATE,
                                 "--title", "Assessment: legacy mel-spectrogram trainer"],
    "mel_compare.md": ["compare", "--format", "markdown", "--before", "legacy/mel/train.py", *SHARED_MEL,
                       "--after", "reference_trainers/mel", "reference_trainers/common"],
    "legacy_multidataset_assessment.md": ["report", "legacy/multidataset", "--date", DATE,
                                          "--title", "Assessment: legacy multi-dataset trainer"],
    "multidataset_compare.md": ["compare", "--format", "markdown", "--before", "legacy/multidataset",
                                *SHARED_MULTIDATASET, "--after", "reference_trainers/multidataset",
                                "reference_trainers/common"],
}


def generate(name: str) -> str:
    """The text the command for ``name`` prints now."""
    done = subprocess.run([sys.executable, "-m", "audit", *REPORTS[name]], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return done.stdout


if __name__ == "__main__":
    for report in REPORTS:
        (ROOT / "reports" / report).write_text(generate(report))
        print(f"wrote reports/{report}")
