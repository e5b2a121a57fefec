"""A progress bar on stderr while a scan analyses many files, for people at a terminal only."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TextIO

# Fewer files than this take a few seconds at most: a bar would only flicker.
PROGRESS_THRESHOLD = 300


def stream_is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def terminal_progress(stream: TextIO | None = None, threshold: int | None = None
                      ) -> Callable[[int], AbstractContextManager[Callable[[], None]]]:
    """A ``Progress`` for ``audit.engine.scan``: a rich bar on ``stream`` (stderr) when ``threshold`` files
    (default ``PROGRESS_THRESHOLD``) or more are analysed. Shows nothing when the stream is not a terminal.
    """
    target = stream if stream is not None else sys.stderr

    @contextmanager
    def progress(total: int) -> Iterator[Callable[[], None]]:
        if total < (PROGRESS_THRESHOLD if threshold is None else threshold) or not stream_is_terminal(target):
            yield lambda: None
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("Analysing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(file=target, force_terminal=True), transient=True) as bar:
            task = bar.add_task("files", total=total)
            yield lambda: bar.advance(task)

    return progress
