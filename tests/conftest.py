"""Test-wide setup: every test gets its own scan cache folder.

``audit scan`` keeps a cache at the project root; pointing ``$AUDIT_CACHE_DIR`` (which
subprocesses inherit) into a fresh temporary folder per test keeps the repository and
the fixtures free of ``.audit_cache/`` and keeps one test's cache away from another's.
``tests/test_cache.py`` unsets it where it tests the default location.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_scan_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("scan-cache") / ".audit_cache"))
