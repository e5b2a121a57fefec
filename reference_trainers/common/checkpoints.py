"""Checkpoint names and checks, without torch.

Names carry no ``=``: ``epoch003-step000120.ckpt`` (best by the monitored metric),
``last.ckpt`` and ``interrupted-step000224.ckpt`` (saved on SIGTERM/SIGINT).
A checkpoint is a zip archive (``torch.save``), so an empty or truncated file is
found by reading its directory and checksums, before any training starts.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from reference_trainers.common.errors import UsageError

LAST = "last.ckpt"


def interrupted_name(step: int) -> str:
    return f"interrupted-step{step:06d}.ckpt"


def is_readable(path: Path) -> bool:
    """Whether ``path`` is a complete checkpoint archive (every member's checksum verified)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


def require_readable(path: str | Path) -> Path:
    """``path`` if it is a readable checkpoint; otherwise a one-line error naming the intact ones beside it."""
    path = Path(path).expanduser()
    if is_readable(path):
        return path
    problem = "does not exist" if not path.exists() else "is empty" if path.stat().st_size == 0 else (
        "cannot be read (truncated or not a checkpoint)")
    siblings = sorted(path.parent.glob("*.ckpt")) if path.parent.is_dir() else []
    intact = [sibling.name for sibling in siblings if sibling != path and is_readable(sibling)]
    where = f"intact checkpoints in {path.parent}: {', '.join(intact)}" if intact else "no intact checkpoint beside it"
    raise UsageError(f"checkpoint {path} {problem}; {where}")


def resume_checkpoint(run_dir: Path, summary: dict[str, Any] | None) -> Path:
    """The checkpoint a run continues from: the one its summary names, else the newest in ``checkpoints/``."""
    if summary and summary.get("resume_checkpoint"):
        return Path(summary["resume_checkpoint"])
    candidates = [*run_dir.glob(f"checkpoints/{LAST}"), *run_dir.glob("checkpoints/interrupted-step*.ckpt")]
    if not candidates:
        raise UsageError(f"resume={run_dir}: no checkpoint to resume from in {run_dir / 'checkpoints'}")
    return max(candidates, key=lambda candidate: candidate.stat().st_mtime)
