"""BLAKE2b, as ``hashlib.blake2b``, without importing ``hashlib``.

``hashlib`` loads OpenSSL (``_hashlib``), about 2 ms of a cached rescan that otherwise
takes a few tens; the interpreter's own ``_blake2`` module is the same function.
"""

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

__all__ = ["blake2b"]
