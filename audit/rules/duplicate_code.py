"""duplicate-code: the same run of statements in two places, after normalising names and literals."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

from audit.model import Finding
from audit.project import Project
from audit.rule import Option, ProjectRule, Remedy, non_negative_int
from audit.source import SourceModule

_BODIES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
           ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.ExceptHandler, ast.match_case)
_STRING = re.compile(r"""[rbuf]*("{3}|'{3}|"|')(?:\\.|(?!\1).)*\1""", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])\d[\w.]*")
# A name not written after a dot: attributes name the API being used, so they are kept.
_NAME = re.compile(r"(?<![.\w])(?!(?:and|or|not|in|is|if|elif|else|for|while|return|yield|lambda|None|True|False|"
                   r"def|class|with|as|try|except|finally|raise|del|pass|break|continue|import|from|global|"
                   r"nonlocal|await|async|assert)\b)[A-Za-z_]\w*")
_MIN_CHARACTERS_PER_STATEMENT = 12
# Runs this many times bigger than the minimum are left out of the index as boilerplate tables.
_MAX_PLACES = 8


@dataclass(frozen=True)
class Window:
    """``size`` consecutive statements of one body: their shape hash and their lines."""

    digest: int
    body: int
    index: int
    start: int
    end: int


def normalised_lines(source_lines: list[str]) -> list[str]:
    """Each line with literals, names and comments normalised away, attributes and operators kept."""
    result = []
    for line in source_lines:
        text = _STRING.sub("S", line)
        text = text.split("#", 1)[0]
        text = _NUMBER.sub("0", text)
        result.append(" ".join(_NAME.sub("N", text).split()))
    return result


def collect_windows(module: SourceModule, size: int) -> list[Window]:
    """Every window of ``size`` consecutive statements in every body of the module."""
    if size < 2 or module.is_package_init:
        return []
    lines = normalised_lines(module.lines)
    windows: list[Window] = []
    bodies = [module.tree, *module.nodes(*_BODIES[1:])]
    for node_number, node in enumerate(bodies):
        for field_number, statements in enumerate(_statement_lists(node)):
            if len(statements) >= size:
                windows.extend(_windows(statements, lines, size, node_number * 3 + field_number))
    return windows


def _statement_lists(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value


def _windows(statements: list[ast.stmt], lines: list[str], size: int, body: int) -> Iterator[Window]:
    shapes = [_shape(statement, lines) for statement in statements]
    for index in range(len(statements) - size + 1):
        run = shapes[index:index + size]
        if not all(run) or sum(map(len, run)) < _MIN_CHARACTERS_PER_STATEMENT * size or run.count(run[0]) == size:
            continue  # imports or docstrings, too small to matter, or one statement repeated (a table)
        digest = int.from_bytes(blake2b("\n".join(run).encode(), digest_size=8).digest(), "big")
        last = statements[index + size - 1]
        yield Window(digest, body, index, statements[index].lineno, last.end_lineno or last.lineno)


def _shape(statement: ast.stmt, lines: list[str]) -> str:
    """The statement's normalised text; empty for imports and docstrings, which no helper can share."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)) or (
            isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
        return ""
    end = statement.end_lineno or statement.lineno
    return "\n".join(line for line in lines[statement.lineno - 1:end] if line)


@dataclass(frozen=True)
class _Place:
    path: str
    body: int
    index: int
    start: int
    end: int


class DuplicateCode(ProjectRule):
    name = "duplicate-code"
    summary = "The same run of statements in two places (names and literals aside): extract a helper."
    facts_key = "statement-windows"
    remedy = Remedy("Extract duplicated blocks into one helper", "extraction", "medium", 30, saves="span")
    rationale = (
        "Copied code is where fixes go to die: the mel-batch preparation copied between training and evaluation "
        "got its fix in one copy, and evaluation kept computing features the old way for months. Two copies "
        "also double what a refactor must read and keep in step. The audit hashes every window of consecutive "
        "statements, with local names, literals and comments normalised away (attribute and keyword names, "
        "which say what API is used, and operators are kept), so the cost grows linearly with the code."
    )
    advice = (
        "Extract the block into one function both places call, with what differs between them as parameters. "
        "`__init__.py` files are left out: near-identical package files are a convention, not a copy."
    )
    bad_example = '''
# file: train.py
def evaluate(model, batch):
    audio = batch["audio"].to(model.device)
    mel = model.frontend(audio)
    mel = mel.clamp(min=1e-5).log()
    mel = (mel - mel.mean(dim=-1, keepdim=True)) / mel.std(dim=-1, keepdim=True)
    labels = batch["label"].to(model.device)
    logits = model.classifier(mel.unsqueeze(1))
    return logits, labels


def train_step(model, batch):
    audio = batch["audio"].to(model.device)
    mel = model.frontend(audio)
    mel = mel.clamp(min=1e-5).log()
    mel = (mel - mel.mean(dim=-1, keepdim=True)) / mel.std(dim=-1, keepdim=True)
    labels = batch["label"].to(model.device)
    logits = model.classifier(mel.unsqueeze(1))
    return model.loss(logits, labels)
'''
    good_example = '''
# file: train.py
def prepare_batch(model, batch):
    audio = batch["audio"].to(model.device)
    mel = model.frontend(audio).clamp(min=1e-5).log()
    mel = (mel - mel.mean(dim=-1, keepdim=True)) / mel.std(dim=-1, keepdim=True)
    return model.classifier(mel.unsqueeze(1)), batch["label"].to(model.device)


def evaluate(model, batch):
    return prepare_batch(model, batch)


def train_step(model, batch):
    logits, labels = prepare_batch(model, batch)
    return model.loss(logits, labels)
'''
    options = (
        Option("min-duplicate-statements", 6, "consecutive statements two places must share to be reported",
               non_negative_int),
    )

    def collect(self, module: SourceModule, options: Mapping[str, Any]) -> Any:
        return collect_windows(module, options["min-duplicate-statements"]) or None

    def check_project(self, project: Project, facts: Mapping[str, Any], options: Mapping[str, Any]
                      ) -> Iterator[Finding]:
        size = options["min-duplicate-statements"]
        for first, second, length in _duplicated_runs(facts, size):
            for here, there in ((first, second), (second, first)):
                where = f"{there.path}:{there.start}" if there.path != here.path else f"line {there.start}"
                yield Finding(self.name, here.path, here.start, here.end, 1,
                              f"{length} statements (lines {here.start}-{here.end}) repeat {where}: extract "
                              f"a helper both call", value=length, threshold=size)


def _duplicated_runs(facts: Mapping[str, list[Window]], size: int) -> list[tuple[_Place, _Place, int]]:
    """Maximal runs of matching windows between two places (each pair once), with their statement count."""
    places: dict[int, list[_Place]] = defaultdict(list)
    windows: dict[tuple[str, int, int], Window] = {}
    for path, module_windows in sorted(facts.items()):
        for window in module_windows:
            places[window.digest].append(_Place(path, window.body, window.index, window.start, window.end))
            windows[(path, window.body, window.index)] = window
    matches = _matching_pairs(places)
    runs = []
    for a, b in sorted(matches, key=lambda pair: (pair[0].path, pair[0].index, pair[1].path, pair[1].index)):
        previous = (_shifted(a, -1, windows), _shifted(b, -1, windows))
        if previous in matches:
            continue  # inside a run that starts earlier
        length, last_a, last_b = 1, a, b
        while (_shifted(last_a, 1, windows), _shifted(last_b, 1, windows)) in matches:
            last_a, last_b = _shifted(last_a, 1, windows), _shifted(last_b, 1, windows)
            length += 1
        runs.append((_Place(a.path, a.body, a.index, a.start, last_a.end),
                     _Place(b.path, b.body, b.index, b.start, last_b.end), size + length - 1))
    return runs


def _matching_pairs(places: Mapping[int, list[_Place]]) -> set[tuple[_Place, _Place]]:
    """Pairs of non-overlapping places with the same window (hashes shared by too many places are boilerplate)."""
    matches = set()
    for group in places.values():
        if 2 <= len(group) <= _MAX_PLACES:
            matches.update((a, b) for position, a in enumerate(group) for b in group[position + 1:]
                           if not _overlap(a, b))
    return matches


def _shifted(place: _Place | None, step: int, windows: Mapping[tuple[str, int, int], Window]) -> _Place | None:
    if place is None:
        return None
    window = windows.get((place.path, place.body, place.index + step))
    return None if window is None else _Place(place.path, place.body, window.index, window.start, window.end)


def _overlap(a: _Place, b: _Place) -> bool:
    return a.path == b.path and a.start <= b.end and b.start <= a.end
