"""Git calls on a checkout the user may not have created.

A repository's own ``.git/config`` can name programs that git runs on its behalf
(``core.fsmonitor``, hooks, smudge filters, textconv). Every call here turns
those off, ignores the system config, and never asks git for an operation that
filters file contents: blobs are read with ``cat-file``, which runs no filter.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

# Settings that make git run a program named by the repository; each is neutralised.
_SAFE_CONFIG = ("core.fsmonitor=false", "core.hooksPath=/dev/null", "core.untrackedCache=false",
                "diff.external=", "core.pager=cat", "protocol.allow=never")


class GitError(Exception):
    """git is missing or a git command failed; the message is git's own first line."""


def _environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment.update(GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    return environment


def git_command(args: Sequence[str | bytes]) -> list[str | bytes]:
    """The full argument list for ``git args`` with repository-configured programs disabled."""
    command: list[str | bytes] = ["git"]
    for setting in _SAFE_CONFIG:
        command += ["-c", setting]
    return command + list(args)


def run_git(args: Sequence[str | bytes], cwd: Path | bytes | str, *, stdin: bytes | None = None,
            check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run git safely in ``cwd``; raises ``GitError`` when git is missing, or fails and ``check`` is set."""
    try:
        done = subprocess.run(git_command(args), cwd=cwd, input=stdin, capture_output=True, check=False,
                              env=_environment())
    except OSError as error:
        raise GitError(f"cannot run git: {error.strerror or error}") from None
    if check and done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(message[0] if message else f"git exited with {done.returncode}")
    return done
