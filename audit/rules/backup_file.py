"""backup-file: a copy of a module left beside it (``train_OLD.py``, ``model.py.bak``, ``data copy.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from audit.model import Finding
from audit.project import Project
from audit.rule import FixSafety, ProjectRule, Remedy

# Names that are backups whatever is beside them.
_ALWAYS = re.compile(r"^(?P<stem>.+?)(_OLD|_BACKUP|_BAK|_bak|_backup| copy| \(\d+\))\.py$|^(?P<file>.+\.py)(\.bak|\.orig|~)$")
# Names that are backups only when the module they copy exists beside them (``deep_copy.py`` is not).
_WITH_ORIGINAL = re.compile(r"^(?P<stem>.+?)(_old|_copy|_Old|_Copy)\.py$")


def backup_of(path: Path) -> tuple[bool, Path | None]:
    """Whether ``path`` is named like a backup, and the module it copies when that exists beside it."""
    for pattern, needs_original in ((_ALWAYS, False), (_WITH_ORIGINAL, True)):
        match = pattern.match(path.name)
        if match is None:
            continue
        original_name = match.group("file") if match.groupdict().get("file") else f"{match.group('stem')}.py"
        original = path.with_name(original_name)
        exists = original.is_file()
        if exists or not needs_original:
            return True, original if exists else None
    return False, None


class BackupFile(ProjectRule):
    name = "backup-file"
    summary = "A backup copy of a module (`*_OLD.py`, `*_BACKUP.py`, `*.py.bak`, `* copy.py`) left in the tree."
    file_patterns = ("*.py.bak", "*.py.orig", "*.py~")
    remedy = Remedy("Delete backup copies of modules", "quick-wins", "low", 5, saves="none", harm="low")
    rationale = (
        "A `train_ddp_BACKUP.py` next to `train_ddp.py` is where the next person makes their fix, in the copy "
        "nothing imports, and wonders why training did not change. Backups also double what every search, "
        "review and refactor has to read, and they keep the bugs the real module has since lost. Version control "
        "already keeps every old version."
    )
    advice = (
        "Delete the copy; if something in it is still needed, move that into the real module first. "
        "`git log -p -- <file>` brings back any old version. Lowercase `_old`/`_copy` names count only when the "
        "module they copy exists beside them."
    )
    bad_example = '''
# file: train.py
def main():
    return 1

# file: train_OLD.py
def main():
    return 0
'''
    good_example = '''
# file: train.py
def main():
    return 1

# file: backup.py
def snapshot():
    return 0
'''
    fix_safety = FixSafety(
        "none",
        "No automatic fix: deleting a file is left to the author, who may want to diff it first.",
    )
    references = ()
    status = "stable"

    def check_project(self, project: Project, facts: Mapping[str, Any], options: Mapping[str, Any]
                      ) -> Iterator[Finding]:
        for display, path in sorted({**project.python_files, **project.other_files}.items()):
            is_backup, original = backup_of(path)
            if not is_backup:
                continue
            copies = f"a copy of `{project.display(original)}`" if original else "a backup copy of a module"
            yield Finding(self.name, display, 1, 1, 1, f"`{path.name}` looks like {copies}: delete it, git keeps "
                                                       "the history")
