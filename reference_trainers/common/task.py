"""The Hydra task every trainer runs: train, say where the results are, exit with the run's status."""

from __future__ import annotations

import importlib
import logging
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from omegaconf import DictConfig

if TYPE_CHECKING:
    from reference_trainers.common.launch import TrainerSpec

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_USAGE = 2


def closing_line(summary: dict[str, Any], output_dir: str) -> str:
    """The run's last console line: its status, where it wrote, the metric, the checkpoint that matters."""
    value = summary.get("val_value")
    metric = f"{summary['val_metric']}={value:.4f}" if value is not None else f"{summary['val_metric']}=n/a"
    if summary["status"] == "interrupted":
        return (f"interrupted at step {summary['steps']}: run dir {output_dir}, {metric}, "
                f"checkpoint {summary['resume_checkpoint']}; continue with resume={output_dir}")
    if summary["status"] == "failed":
        return f"failed at step {summary['steps']}: {summary['error']} (traceback in {summary['traceback']})"
    return f"completed: run dir {output_dir}, {metric}, best checkpoint {summary['best_checkpoint']}"


def _exit_usage(error: Exception) -> NoReturn:
    """One line and exit 2 (raised to Hydra, the error would get a second line before ours)."""
    print(f"error: {error}", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def run(spec: TrainerSpec, config: DictConfig) -> float | None:
    """Train one run; the validation metric is returned for Hydra sweepers."""
    from reference_trainers.common.errors import UsageError
    from reference_trainers.common.loggers import require_logger_packages

    try:
        require_logger_packages(config.logger)
    except UsageError as error:
        _exit_usage(error)
    from reference_trainers.common.run_record import RunFailed

    fit = importlib.import_module(spec.fit_module).fit
    try:
        summary = fit(config, trainer_name=spec.name)
    except UsageError as error:
        _exit_usage(error)
    except RunFailed as failure:
        summary = failure.summary
    line = closing_line(summary, config.paths.output_dir)
    if summary["status"] == "completed":
        log.info(line)
        return summary["val_value"]
    log.error(line)
    sys.exit(128 + summary["signal"] if summary["status"] == "interrupted" else EXIT_FAILED)
