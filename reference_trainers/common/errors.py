"""Errors a user can fix: reported as one line and exit status 2, never a traceback."""

from __future__ import annotations


class UsageError(ValueError):
    """Bad input: a config value, an override, a run directory or a checkpoint that cannot be used."""


def one_line(error: BaseException) -> str:
    """The first line of an error's message, prefixed with its type when the message alone is vague."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, UsageError):
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
