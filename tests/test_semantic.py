"""The shared binding/scope model: qualified names through aliases, scopes, ``used`` markers, Hydra configs."""

from __future__ import annotations

import ast

from audit.engine import parse

SOURCE = '''
import logging
import numpy as np
import torch.cuda
from torch.cuda import device_count as dc
from omegaconf import OmegaConf as OC
from . import sibling
import hydra
import unused_module

log = logging.getLogger(__name__)


@hydra.main(version_base=None, config_path="configs", config_name="train")
def main(cfg, other=None):
    n = dc()
    OC.set_struct(cfg.trainer, False)
    np.zeros(n)
    torch.cuda.is_available()
    sibling.helper()
    log.info("started")
    isinstance(cfg, dict)

    def inner():
        dc = lambda: 0
        return dc()

    return inner, other


class Model:
    np = "a class attribute"

    def forward(self):
        return np.ones(1)
'''


def calls(source: str = SOURCE) -> tuple[object, dict[str, ast.Call]]:
    module = parse("example.py", source.encode())
    return module, {ast.unparse(node): node for node in module.nodes(ast.Call)}


def test_qualified_names_resolve_import_aliases() -> None:
    module, found = calls()
    semantic = module.semantic
    assert semantic.qualified_name(found["dc()"].func) == "torch.cuda.device_count"
    assert semantic.qualified_name(found["OC.set_struct(cfg.trainer, False)"].func) == "omegaconf.OmegaConf.set_struct"
    assert semantic.qualified_name(found["np.zeros(n)"].func) == "numpy.zeros"
    assert semantic.qualified_name(found["torch.cuda.is_available()"].func) == "torch.cuda.is_available"
    assert semantic.qualified_name(found["sibling.helper()"].func) == ".sibling.helper"
    assert semantic.qualified_name(found["isinstance(cfg, dict)"].func) == "isinstance"
    assert semantic.qualified_name(found["log.info('started')"].func) is None  # a variable, not an import


def test_local_bindings_shadow_imports_and_class_scopes_are_skipped() -> None:
    module, found = calls()
    semantic = module.semantic
    outer, inner = sorted((node for node in module.nodes(ast.Call) if ast.unparse(node) == "dc()"),
                          key=lambda node: node.lineno)
    assert semantic.qualified_name(outer.func) == "torch.cuda.device_count"
    assert semantic.qualified_name(inner.func) is None  # the local lambda shadows the import
    # A method does not see its class's attributes: ``np`` there is still numpy.
    assert semantic.qualified_name(found["np.ones(1)"].func) == "numpy.ones"


def test_used_markers_follow_pyflakes() -> None:
    module, _ = calls()
    used = {binding.name: module.semantic.is_used(binding) for binding in module.semantic.imports()}
    assert used == {"logging": True, "np": True, "torch": True, "dc": True, "OC": True, "sibling": True,
                    "hydra": True, "unused_module": False}


def test_hydra_config_parameters_and_loggers() -> None:
    module, found = calls()
    semantic = module.semantic
    assert [binding.name for binding in semantic.hydra_config_parameters] == ["cfg"]
    assert semantic.is_hydra_config(found["OC.set_struct(cfg.trainer, False)"].args[0])
    assert not semantic.is_hydra_config(ast.parse("other", mode="eval").body)
    assert semantic.is_logger(found["log.info('started')"].func.value, {"logging.getLogger"})
    assert not semantic.is_logger(found["log.info('started')"].func.value, {"logging"})
    assert not semantic.is_logger(found["np.zeros(n)"].func.value, {"logging", "logging.getLogger"})


def test_the_model_is_built_once_and_only_on_request() -> None:
    module = parse("example.py", SOURCE.encode())
    assert "semantic" not in vars(module)
    assert module.semantic is module.semantic


def test_the_model_does_not_keep_its_module_alive() -> None:
    """No reference cycle: a scanned module (tree, index, model) is freed as soon as the scan drops it."""
    import gc
    import weakref

    module = parse("example.py", SOURCE.encode())
    assert module.semantic.imports_module("torch")
    gone = weakref.ref(module)
    gc.disable()
    try:
        del module
        assert gone() is None
    finally:
        gc.enable()


def test_each_load_reads_the_binding_the_checker_resolved_it_to() -> None:
    """One walk in execution order: a load before a rebinding reads the earlier binding, a function body
    (run later) the module's last one, a comprehension its own variable."""
    source = ("import torch as backend\nfirst = backend.zeros\nimport numpy as backend\nsecond = backend.zeros\n\n"
              "def later():\n    return backend.ones\n\nvalues = [backend for backend in range(3)]\n")
    module, _ = calls(source)
    semantic = module.semantic
    loads = [node for node in module.nodes(ast.Attribute) if isinstance(node.value, ast.Name)]
    assert [semantic.qualified_name(node) for node in sorted(loads, key=lambda node: node.lineno)] == [
        "torch.zeros", "numpy.zeros", "numpy.ones"]
    element = next(node for node in module.nodes(ast.ListComp)).elt
    assert semantic.binding_of(element).scope_kind == "comprehension"
    assert semantic.qualified_name(element) is None


def test_binding_kinds_values_and_exports() -> None:
    source = ('from typing import TYPE_CHECKING\nimport os\nimport json\n__all__ = ["os"]\n\n'
              'def f(path):\n    text = open(path).read()\n    return text\n\n'
              'if TYPE_CHECKING:\n    import pathlib\n\ndef g(p: "pathlib.Path") -> None:\n    del p\n')
    module, found = calls(source)
    semantic = module.semantic
    assert semantic.exported == {"os"}
    assert {binding.name: binding.used for binding in semantic.imports()} == {
        "TYPE_CHECKING": True, "os": True, "json": False, "pathlib": True}
    text = next(node for node in module.nodes(ast.Name) if node.id == "text" and isinstance(node.ctx, ast.Load))
    binding = semantic.binding_of(text)
    assert binding.kind == "assignment" and ast.unparse(binding.value) == "open(path).read()"
    path = found["open(path)"].args[0]
    assert semantic.binding_of(path).kind == "parameter" and semantic.binding_of(path).scope_kind == "function"


def test_a_quoted_annotation_is_resolved_but_not_recorded() -> None:
    """Names parsed out of a string are not the module's nodes: they mark uses, and no node of the tree maps to them."""
    module, _ = calls('import pathlib\n\ndef g(p: "pathlib.Path"):\n    return p\n')
    semantic = module.semantic
    assert [binding.used for binding in semantic.imports()] == [True]
    assert semantic.binding_of(ast.parse("pathlib", mode="eval").body) is None


def test_the_model_leaves_no_cycle_behind() -> None:
    """Bindings do not point back at their scopes: dropping a module frees the model and the tree at once,
    instead of leaving the whole tree for the cyclic collector (whose passes over it cost the scan time)."""
    import gc

    gc.collect()
    gc.disable()
    try:
        module = parse("example.py", SOURCE.encode())
        assert module.semantic.hydra_config_parameters and module.scoped(ast.Name)
        del module
        assert gc.collect() == 0
    finally:
        gc.enable()
