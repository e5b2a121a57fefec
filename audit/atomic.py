"""Replace a file's contents atomically: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
from pathlib import Path


def umask_mode() -> int:
    """The permissions a new file gets (``0o666`` less the process umask)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def replace_file(path: Path, data: bytes, mode: int | None = None, *, durable: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path``, then ``os.replace`` it into place.

    ``mode`` is the file's permissions: by default the existing file's, else the umask's (not
    ``mkstemp``'s 0600). ``durable`` flushes the bytes to disk before the rename. Raises ``OSError``;
    no temporary file is left behind.
    """
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = umask_mode()
    import tempfile  # only when writing: not on the way of a scan that only reads

    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
