"""``resume=<run dir>``: continue a run in a new run directory, with the config it was started with.

The command line becomes the run's saved overrides (``.hydra/overrides.yaml``)
followed by the ones given now, which win for the same key, plus the checkpoint
to start from (``ckpt_path``). Before anything runs, the composed config is
compared with the run's saved ``.hydra/config.yaml``: an override that changes
the model's shape is refused, and a completed run with nothing left to train is
reported and left alone. The old run directory is only read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import OmegaConf

from reference_trainers.common.checkpoints import require_readable, resume_checkpoint
from reference_trainers.common.composition import compose_config, override_key
from reference_trainers.common.errors import UsageError

if TYPE_CHECKING:
    from reference_trainers.common.launch import TrainerSpec

# Keys never carried over from the saved run: resume itself and where it starts from.
_NOT_CARRIED = {"resume", "ckpt_path"}


def _saved_run(run_dir: Path) -> tuple[list[str], Any, dict[str, Any] | None]:
    """The run's saved overrides, its saved config and its summary (None if it has none)."""
    hydra_dir = run_dir / ".hydra"
    if not (hydra_dir / "overrides.yaml").is_file() or not (hydra_dir / "config.yaml").is_file():
        raise UsageError(f"resume={run_dir}: not a run directory (no .hydra/overrides.yaml and .hydra/config.yaml)")
    overrides = [str(item) for item in OmegaConf.load(hydra_dir / "overrides.yaml")]
    summary_path = run_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else None
    return overrides, OmegaConf.load(hydra_dir / "config.yaml"), summary


def _check_shape(spec: TrainerSpec, run_dir: Path, saved: Any, composed: Any) -> None:
    for key in spec.shape_keys:
        before, after = OmegaConf.select(saved, key), OmegaConf.select(composed, key)
        before = OmegaConf.to_container(before) if OmegaConf.is_config(before) else before
        after = OmegaConf.to_container(after) if OmegaConf.is_config(after) else after
        if before != after:
            raise UsageError(f"resume={run_dir}: {key} was {before} and would be {after}; a resumed run keeps "
                             "the model's shape (start a new run to change it)")


def _nothing_left(saved: Any, composed: Any, summary: dict[str, Any] | None) -> bool:
    """A completed run whose step and epoch limits the new config does not raise."""
    if summary is None or summary.get("status") != "completed":
        return False
    more_epochs = composed.trainer.max_epochs > saved.trainer.max_epochs
    max_steps = composed.trainer.max_steps
    more_steps = max_steps != saved.trainer.max_steps and (max_steps == -1 or max_steps > summary["steps"])
    return not (more_epochs or more_steps)


def _value(override: str) -> str:
    """The value an override sets, without the quotes Hydra's syntax may need around it."""
    value = override.split("=", 1)[1]
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value


def _quoted(path: Path) -> str:
    """``path`` as a Hydra override value: quoted when it holds characters Hydra's grammar gives meaning to."""
    text = str(path)
    return text if re.fullmatch(r"[\w./@+-]+", text) else "'" + text.replace("'", "\\'") + "'"


def _run_dir_argument(arguments: list[str]) -> Path | None:
    """The run directory of the last ``resume=`` argument, or None."""
    values = [_value(item) for item in arguments if "=" in item and override_key(item) == "resume"]
    return Path(values[-1]).expanduser().resolve() if values and values[-1] not in ("", "null") else None


def _planned_overrides(run_dir: Path, saved_overrides: list[str], given: list[str],
                       summary: dict[str, Any] | None) -> list[str]:
    """Saved overrides not overridden now, then the given ones, then where to start from."""
    if any(override_key(item) == "hydra.run.dir" and Path(_value(item)).resolve() == run_dir for item in given):
        raise UsageError(f"resume={run_dir}: a resumed run writes a new run directory; drop hydra.run.dir")
    given_keys = {override_key(item) for item in given if "=" in item}
    carried = [item for item in saved_overrides if override_key(item) not in given_keys | _NOT_CARRIED]
    start = [] if "ckpt_path" in given_keys else [f"ckpt_path={_quoted(resume_checkpoint(run_dir, summary))}"]
    return [*carried, *given, f"resume={_quoted(run_dir)}", *start]


def _check_checkpoint_argument(arguments: list[str]) -> None:
    """Refuse an unreadable ``ckpt_path=`` before Hydra creates a run directory."""
    values = [_value(item) for item in arguments if "=" in item and override_key(item) == "ckpt_path"]
    if values and values[-1] not in ("", "null"):
        require_readable(values[-1])


def plan(spec: TrainerSpec, arguments: list[str]) -> list[str] | None:
    """The command line to run: unchanged without ``resume=``; None when there is nothing to resume."""
    run_dir = _run_dir_argument(arguments)
    if run_dir is None:
        _check_checkpoint_argument(arguments)
        return arguments
    saved_overrides, saved, summary = _saved_run(run_dir)
    options = [item for item in arguments if "=" not in item]  # Hydra's own flags (--cfg job, -m), kept first
    given = [item for item in arguments if "=" in item and override_key(item) != "resume"]
    planned = _planned_overrides(run_dir, saved_overrides, given, summary)
    composed = compose_config(spec, planned)
    _check_shape(spec, run_dir, saved, composed)
    _check_checkpoint_argument(planned)
    if _nothing_left(saved, composed, summary):
        print(f"{run_dir}: completed at step {summary['steps']} (epoch {summary['epochs']}); nothing left to train, "
              "nothing written. Raise trainer.max_epochs or trainer.max_steps to train further.")
        return None
    return [*options, *planned]
