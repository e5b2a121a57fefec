"""unused-import: an imported name the module never uses.

The rule reads the ``used`` markers of the shared semantic model (``audit.semantic``),
whose checker resolves names as ruff does (deferred function bodies, class scopes,
comprehension scopes, forward references, ``__all__``, redefinitions), and reports
an import binding that no load reads.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.semantic import Binding
from audit.source import SourceModule

# An import in a class body binds a class attribute, which ruff does not report either.
_REPORTED_SCOPES = ("module", "function")


def _reportable(binding: Binding) -> bool:
    """``x as x`` re-exports on purpose; ``__future__`` imports are directives."""
    alias = binding.node
    return (isinstance(alias, ast.alias) and alias.asname != alias.name
            and getattr(binding.statement, "module", None) != "__future__")


class UnusedImport(Rule):
    name = "unused-import"
    summary = "Imported name that the module never uses."
    remedy = Remedy("Delete unused imports", "quick-wins", "low", 2, saves="span", harm="low")
    rationale = (
        "In training code an unused import is rarely free: `import torch`, `wandb` or a dataset package "
        "costs seconds at start-up in every process (each DataLoader worker, each DDP rank, `--help`), and a "
        "leftover import of a removed helper misleads readers about what the module depends on."
    )
    advice = (
        "Delete the import. To re-export a name on purpose, write `from m import x as x` or list it in "
        "`__all__`; imports only needed for type hints go under `if TYPE_CHECKING:`."
    )
    bad_example = '''
import os
from ocr.utils.path_utils import get_path_resolver  # left over from the old config_path

def train(cfg):
    os.makedirs(cfg.paths.log_dir, exist_ok=True)
'''
    good_example = '''
import os

def train(cfg):
    os.makedirs(cfg.paths.log_dir, exist_ok=True)
'''
    noqa_codes = frozenset({"F401"})
    fix_safety = FixSafety(
        "safe",
        "`audit fix` removes the unused names (the whole statement when all are unused) and leaves every "
        "other byte alone; a rescan verifies the result before it is written. It never touches "
        "`__init__.py` (imports there re-export), `__future__` imports or imports under `try/except "
        "ImportError`, whose purpose is their side effect. Removing an import drops any side effect of "
        "importing it: keep such an import with `# noqa: F401` or `# audit: ignore[unused-import]`.",
    )
    references = (
        "https://docs.astral.sh/ruff/rules/unused-import/",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        semantic = module.semantic
        for binding in semantic.imports():
            if binding.scope_kind not in _REPORTED_SCOPES or not _reportable(binding):
                continue
            if binding.used or binding.declared or binding.shadowed:
                continue  # like ruff and pyflakes, only a name's last binding can be an unused import
            if module.is_package_init and binding.scope_kind == "module" and semantic.exported is None:
                continue  # an __init__.py without __all__ re-exports what it imports
            # A comment on a multi-line import's first line covers every name in it (as ruff reads it).
            yield module.finding(self.name, binding.node, f"`{binding.imported}` is imported but never used",
                                 also_suppressed_at=binding.statement.lineno)
