"""The console: one handler for every log record, rich in a terminal and plain lines otherwise.

Hydra's job logging installs it on the root logger (``hydra/job_logging/console.yaml``)
before the task runs. ``route_library_logs`` then removes the handlers Lightning and
torchmetrics add to their own loggers at import, so their records reach the console
once, through the root logger, and Python warnings go the same way.
"""

from __future__ import annotations

import logging
import sys
import warnings

PLAIN_FORMAT = "[%(asctime)s] %(levelname)s %(message)s"
# Warnings that say nothing a run can act on, by message.
KNOWN_WARNINGS = (
    # Data is rendered on the training device from indices; worker processes would only add start-up time.
    r".*does not have many workers.*",
    # Raised inside Lightning 2.6 against torch 2.13's pytree API.
    r".*isinstance\(treespec, LeafSpec\)` is deprecated.*",
    # A resumed run writes its checkpoints into its own new run directory, by design.
    r".*The dirpath has changed from.*",
)
# Loggers that get a handler of their own when their package is imported.
LIBRARY_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric", "lightning_fabric", "torchmetrics")


class _DropAdverts(logging.Filter):
    """Lightning logs an advert for a hosted logger on every run; it is not about the run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("💡 Tip")


def console_handler() -> logging.Handler:
    """A ``RichHandler`` on a terminal; a one-line-per-record stream handler on a pipe or file."""
    if sys.stdout.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False, markup=False)
    else:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT, datefmt="%H:%M:%S"))
    handler.addFilter(_DropAdverts())
    return handler


def route_library_logs() -> None:
    """Send library loggers and warnings through the root logger's handlers (when it has any)."""
    if not logging.getLogger().handlers:
        return
    for name in LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    logging.captureWarnings(True)


def silence_known_warnings() -> None:
    """Ignore the warnings in ``KNOWN_WARNINGS``; every other warning reaches the console once."""
    for message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
