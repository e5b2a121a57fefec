"""hard-coded-path: an absolute file-system path written into code as a default."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePath
from typing import Any

from audit.model import Finding
from audit.rule import Option, Remedy, Rule, string_list
from audit.source import SourceModule

# System locations are the same on every machine; these name one machine's data or home.
SYSTEM_ROOTS = frozenset({"dev", "proc", "sys", "tmp", "usr", "bin", "sbin", "etc", "var", "lib", "lib64",
                          "run", "boot", "opt", "System", "Library", "Applications", "private"})
# A single component is only a machine path when it is a usual home or data root ("/pg1" is a key, not a path).
DATA_ROOTS = frozenset({"home", "Users", "root", "data", "datasets", "mnt", "media", "scratch", "workspace",
                        "workspaces", "nfs", "storage", "shared", "projects"})
_POSIX = re.compile(r"/([A-Za-z0-9_.-]+)(/[^\s:;,*?<>|\"']*)?")
_WINDOWS = re.compile(r"[A-Za-z]:[\\/](?!windows|program files)[^*?<>|\"]*", re.IGNORECASE)
_PATH_KEYS = ("dir", "path", "root", "file", "folder", "home", "data", "cache", "location")
_DEFAULT_GETTERS = frozenset({"get", "getenv", "setdefault", "pop"})


def is_machine_path(text: str) -> bool:
    """``/home/me/data``, ``/data/x``, ``C:\\runs``: an absolute path on one machine (not ``/tmp``, ``/dev/null``)."""
    if _WINDOWS.fullmatch(text):
        return True
    match = _POSIX.fullmatch(text)
    if not match or match.group(1) in SYSTEM_ROOTS:
        return False
    return match.group(1) in DATA_ROOTS or len(match.group(2) or "") > 1


TEST_FILES = ("test_*.py", "*_test.py", "conftest.py", "tests/*", "*/tests/*", "test/*", "*/test/*", "*/testing/*")


def _is_test_file(path: str, patterns: tuple[str, ...]) -> bool:
    """The path, or its file name, matches one of ``patterns`` (as ``per-file-ignores`` globs do)."""
    posix = PurePath(path).as_posix()
    name = PurePath(path).name
    return any(fnmatchcase(posix, pattern) or fnmatchcase(name, pattern) for pattern in patterns)


def _string(node: ast.AST | None) -> str | None:
    """A plain string, also inside ``Path("...")``."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in {"Path", "PurePath", "PosixPath"}:
            node = node.args[0]
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _defaults(module: SourceModule) -> Iterator[tuple[ast.AST, str]]:
    """(value, where) for each default: parameter defaults, module constants, class fields, config getters."""
    for function in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
        arguments = function.args
        yield from ((value, "a parameter default") for value in [*arguments.defaults, *arguments.kw_defaults]
                    if value is not None)
    for node, scope in module.scoped(ast.Assign, ast.AnnAssign):
        if scope.kind != "function" and node.value is not None:
            yield node.value, "a module-level constant" if scope.kind == "module" else "a class field default"
    for call in module.nodes(ast.Call):
        yield from _call_defaults(call)


def _call_defaults(call: ast.Call) -> Iterator[tuple[ast.AST, str]]:
    """``add_argument(default=...)``, ``field(default=...)``, ``cfg.get("data_dir", ...)``, ``os.getenv("HOME", ...)``."""
    yield from ((keyword.value, "a default") for keyword in call.keywords if keyword.arg == "default")
    if isinstance(call.func, ast.Attribute) and call.func.attr in _DEFAULT_GETTERS and len(call.args) == 2:
        key = _string(call.args[0]) or ""
        if any(word in key.lower() for word in _PATH_KEYS):  # ``.get("etcd_prefix", "/a/b")`` is no path
            yield call.args[1], "a config default"


class HardCodedPath(Rule):
    name = "hard-coded-path"
    summary = "An absolute path (`/home/...`, `/data/...`, `C:\\...`) used as a default in code."
    remedy = Remedy("Move machine paths into the config", "quick-wins", "low", 5)
    rationale = (
        "A default like `/home/alice/datasets/ocr` works on one machine. Everywhere else (a colleague, the "
        "cluster, CI, a container) the run either fails after start-up or, worse, finds a stale copy; and "
        "the path is buried in code where no config override or `--help` shows it."
    )
    advice = (
        "Make the path a config value (`paths.data_dir: ${oc.env:DATA_DIR}`) or a required argument; build "
        "defaults from the project root (`Path(__file__).parents[1] / \"data\"`) or the environment."
    )
    bad_example = '''
from dataclasses import dataclass

@dataclass
class DataConfig:
    root: str = "/home/alice/datasets/ocr"
'''
    good_example = '''
from dataclasses import dataclass

@dataclass
class DataConfig:
    root: str = "data/ocr"
'''

    options = (
        Option("test-file-patterns", TEST_FILES, "paths (or file names) of test code, where the rule is off",
               string_list),
    )

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        source = module.source
        if "/" not in source and "\\" not in source:
            return
        if _is_test_file(module.path, options["test-file-patterns"]):
            return
        seen: set[int] = set()
        for value, where in _defaults(module):
            text = _string(value)
            if text is not None and id(value) not in seen and is_machine_path(text):
                seen.add(id(value))
                yield module.finding(self.name, value, f"`{text}` is an absolute path on one machine, "
                                     f"hard-coded as {where}")
