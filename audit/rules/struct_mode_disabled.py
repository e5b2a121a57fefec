"""struct-mode-disabled: ``OmegaConf.set_struct(cfg, False)`` or ``cfg._set_flag("struct", False)``."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Remedy, Rule
from audit.source import SourceModule

SET_STRUCT = frozenset({"omegaconf.OmegaConf.set_struct", "omegaconf.omegaconf.OmegaConf.set_struct"})
COPIES = frozenset({"copy.deepcopy", "copy.copy"})


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((item.value for item in call.keywords if item.arg == keyword), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _disables_struct(flags: ast.expr | None, values: ast.expr | None) -> bool:
    """``_set_flag("struct", False)`` or ``_set_flag([..., "struct"], [..., False])``."""
    if isinstance(flags, (ast.List, ast.Tuple)):
        if isinstance(values, (ast.List, ast.Tuple)):
            return any(_names_struct(flag) and _is_false(value) for flag, value in zip(flags.elts, values.elts, strict=False))
        return any(map(_names_struct, flags.elts)) and _is_false(values)
    return _names_struct(flags) and _is_false(values)


def _names_struct(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == "struct"


def _is_private_copy(config: ast.expr | None, module: SourceModule) -> bool:
    """A name bound to ``copy.deepcopy(...)``/``copy.copy(...)``: switching struct off there hides no typo in
    the config the program reads (Hydra's own ``instantiate`` does this)."""
    if not isinstance(config, ast.Name):
        return False
    binding = module.semantic.binding_of(config)
    value = binding.value if binding is not None else None
    return isinstance(value, ast.Call) and module.semantic.qualified_name(value.func) in COPIES


def _disabling(call: ast.Call, module: SourceModule) -> str | None:
    """The message for a call that switches struct mode off on a config the program reads, else None."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr == "set_struct" and _is_false(_argument(call, 1, "value")):
        if module.semantic.qualified_name(func) in SET_STRUCT and not _is_private_copy(_argument(call, 0, "conf"),
                                                                                       module):
            return "`OmegaConf.set_struct(..., False)` turns off the check that catches config key typos"
    elif func.attr == "_set_flag" and _disables_struct(_argument(call, 0, "flags"), _argument(call, 1, "values")):
        if not _is_private_copy(func.value, module):
            return "`_set_flag(\"struct\", False)` turns off the check that catches config key typos"
    return None


class StructModeDisabled(Rule):
    name = "struct-mode-disabled"
    summary = "OmegaConf struct mode switched off (`set_struct(cfg, False)`, `_set_flag(\"struct\", False)`)."
    remedy = Remedy("Keep Hydra configs in struct mode", "quick-wins", "medium", 15, saves="span", harm="high")
    rationale = (
        "Struct mode is what turns a typo in a config key (`cfg.trainer.max_epoch`, `optimiser.lr=...`) into "
        "an error at start-up. Switched off, the typo reads as a missing value or silently adds a new key, "
        "and the run trains with the default. Hydra composes configs in struct mode for that reason; "
        "disabling it to let code add runtime keys hides every such mistake in the whole config."
    )
    advice = (
        "Declare the keys the code needs in the config (with `???` or `null` defaults); on the command line "
        "add new keys with `+key=value`; where code must add a key, do it in a scoped "
        "`with open_dict(cfg):` block."
    )
    bad_example = '''
from omegaconf import OmegaConf

def train(cfg):
    OmegaConf.set_struct(cfg, False)
    cfg.runtime = {"started": time.time()}
'''
    good_example = '''
from omegaconf import open_dict

def train(cfg):
    with open_dict(cfg):
        cfg.runtime = {"started": time.time()}
'''
    fix_safety = FixSafety("none", "No automatic fix: the keys the code adds have to be declared in the config first.")
    references = (
        "https://omegaconf.readthedocs.io/en/latest/usage.html#struct-flag",
    )
    status = "preview"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        if "set_struct" not in module.source and "_set_flag" not in module.source:
            return
        for call in module.nodes(ast.Call):
            message = _disabling(call, module)
            if message:
                yield module.finding(self.name, call, message)
