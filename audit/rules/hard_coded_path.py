"""hard-coded-path: an absolute file-system path written into code as a default."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import PurePath
from typing import Any

from audit.model import Finding
from audit.rule import FixSafety, Option, Remedy, Rule, string_list
from audit.source import SourceModule

# System locations are the same on every machine; these name one machine's data or home.
SYSTEM_ROOTS = frozenset({"dev", "proc", "sys", "tmp", "usr", "bin", "sbin", "etc", "var", "lib", "lib64",
                          "run", "boot", "opt", "System", "Library", "Applications", "private"})
# Paths under these roots name a machine's home or data; under any other root the name it is bound to
# must say it is a path (``stage_dir = "/DEVELOPMENT/DATASET"``), for "/api/v1" is a route and "/a/b" a key.
DATA_ROOTS = frozenset({"home", "Users", "root", "data", "datasets", "mnt", "media", "scratch", "workspace",
                        "workspaces", "nfs", "storage", "shared", "projects", "gpfs", "lustre"})
_POSIX = re.compile(r"/([A-Za-z0-9_.-]+)(/[^\s:;,*?<>|\"']+)")
_WINDOWS = re.compile(r"[A-Za-z]:[\\/](?!windows|program files)[^*?<>|\"]*", re.IGNORECASE)
# A quote followed by an absolute path of two components or a drive: no match, no finding (a cheap first test).
_QUOTED_PATH = re.compile(r"""["'](?:/[A-Za-z0-9_.-]+/[^/\s"']|[A-Za-z]:[\\/])""")
_PATH_WORDS = ("dir", "path", "root", "file", "folder", "home", "data", "cache", "location", "ckpt", "checkpoint")
_DEFAULT_GETTERS = frozenset({"get", "getenv", "setdefault", "pop"})


def _names_a_path(name: str) -> bool:
    return any(word in name.lower() for word in _PATH_WORDS)


def is_machine_path(text: str, name: str = "") -> bool:
    """``/home/me/data``, ``C:\\runs``, or ``/DEV/DATA`` bound to ``data_dir``: an absolute path on one machine.

    Single components (``/data``: a route as often as a path) and system locations (``/tmp``, ``/dev/null``,
    ``/usr/local/cuda``, ``C:\\Windows``) are not.
    """
    if _WINDOWS.fullmatch(text):
        return True
    match = _POSIX.fullmatch(text)
    if not match or match.group(1) in SYSTEM_ROOTS:
        return False
    return match.group(1) in DATA_ROOTS or _names_a_path(name)


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


def _target_name(target: ast.expr) -> str:
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _parameter_defaults(arguments: ast.arguments) -> Iterator[tuple[ast.expr, str]]:
    positional = [*arguments.posonlyargs, *arguments.args]
    with_defaults = positional[len(positional) - len(arguments.defaults):]
    yield from ((value, arg.arg) for value, arg in zip(arguments.defaults, with_defaults, strict=True))
    yield from ((value, arg.arg) for value, arg in zip(arguments.kw_defaults, arguments.kwonlyargs, strict=True)
                if value is not None)


def _defaults(module: SourceModule) -> Iterator[tuple[ast.AST, str, str]]:
    """(value, where, the name it is bound to) for parameter defaults, module constants, class fields and
    defaults passed to calls."""
    for function in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
        yield from ((value, "a parameter default", name) for value, name in _parameter_defaults(function.args))
    for node, scope in module.scoped(ast.Assign, ast.AnnAssign):
        if scope.kind != "function" and node.value is not None:
            yield from _assigned_defaults(node, scope.kind)
    for call in module.nodes(ast.Call):
        yield from _call_defaults(call)


def _assigned_defaults(node: ast.Assign | ast.AnnAssign, scope_kind: str) -> Iterator[tuple[ast.AST, str, str]]:
    name = _target_name(node.targets[0] if isinstance(node, ast.Assign) else node.target)
    if isinstance(node.value, ast.Call) and _string(node.value) is None:  # ``x: str = field(default=...)``
        yield from ((value, where, name) for value, where, _ in _call_defaults(node.value))
    else:
        yield node.value, "a module-level constant" if scope_kind == "module" else "a class field default", name


def _call_defaults(call: ast.Call) -> Iterator[tuple[ast.AST, str, str]]:
    """``add_argument("--data", default=...)``, ``field(default=...)``, ``cfg.get("data_dir", ...)``."""
    key = (_string(call.args[0]) or "") if call.args else ""
    yield from ((keyword.value, "a default", key) for keyword in call.keywords if keyword.arg == "default")
    if isinstance(call.func, ast.Attribute) and call.func.attr in _DEFAULT_GETTERS and len(call.args) == 2:
        yield call.args[1], "a config default", key


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
    fix_safety = FixSafety("none", "No automatic fix: the path has to move into a config key the author names.")
    references = (
        "https://hydra.cc/docs/tutorials/basic/your_first_app/config_file/",
    )
    status = "stable"

    def check(self, module: SourceModule, options: Mapping[str, Any]) -> Iterator[Finding]:
        if not _QUOTED_PATH.search(module.source):
            return
        if _is_test_file(module.path, options["test-file-patterns"]):
            return
        seen: set[int] = set()
        for value, where, name in _defaults(module):
            text = _string(value)
            if text is not None and id(value) not in seen and is_machine_path(text, name):
                seen.add(id(value))
                yield module.finding(self.name, value, f"`{text}` is an absolute path on one machine, "
                                     f"hard-coded as {where}")
