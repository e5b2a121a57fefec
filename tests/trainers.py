"""Helpers for the trainer tests: run an entry point as a user would, read its summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT


def trainer_command(module: str, run_dir: Path, *overrides: str) -> list[str]:
    return [sys.executable, "-m", module, f"hydra.run.dir={run_dir}", *overrides]


def trainer_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def run_trainer(module: str, run_dir: Path, *overrides: str, timeout: float = 300) -> dict:
    """Run a Hydra trainer to completion and return its ``summary.json``."""
    done = subprocess.run(trainer_command(module, run_dir, *overrides), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=trainer_env(), check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((run_dir / "summary.json").read_text())
