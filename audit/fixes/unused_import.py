"""The fix of unused-import: delete the statement when all its names are unused, else only the unused names.

``ast`` (the rule's tree) says where each statement is; libcst rewrites a statement that keeps some
names, on that statement's slice of the source only, as ruff's codemods do, so everything outside the
removed names stays byte-identical. A comment on a removed name's line goes with it; comment lines stay.

Never fixed: anything in an ``__init__.py`` (imports there re-export), ``__future__`` imports, and an
import inside the ``try`` of a ``try``/``except`` that catches ``ImportError`` (or a base of it), whose
purpose is the attempt itself. A removal that would empty a block leaves ``pass``.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import libcst as cst

from audit.model import SAFE, Edit, Finding, Fix
from audit.source import LINE_BREAK, SourceModule

RULE = "unused-import"
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
# What may follow a statement on its last line for the whole line to go: a ``;``, a comment.
_REST_OF_LINE = re.compile(r"[ \t\f]*;?[ \t\f]*(?:#[^\r\n]*)?")
_Import = ast.Import | ast.ImportFrom


def fixes(module: SourceModule, findings: Sequence[Finding]) -> dict[Finding, Fix]:
    """The fix of each fixable unused-import finding; findings of one statement share one ``Fix``."""
    if module.is_package_init:
        return {}
    unused, owners = _unused_by_statement(module, findings)
    result: dict[Finding, Fix] = {}
    for statement, edits in _edits(_Locator(module), unused).items():
        names = [_alias_text(statement.names[index]) for index in sorted(unused[statement])]
        title = f"Remove unused import{'s' if len(names) > 1 else ''}: {', '.join(f'`{n}`' for n in names)}"
        fix = Fix(tuple(edits), SAFE, title)
        result.update((finding, fix) for finding in owners[statement])
    return result


def _unused_by_statement(module: SourceModule, findings: Sequence[Finding]
                         ) -> tuple[dict[_Import, set[int]], dict[_Import, list[Finding]]]:
    """The fixable statements: the positions of their unused names, and their findings."""
    places = _alias_places(module)
    guarded = _guarded_imports(module)
    unused: dict[_Import, set[int]] = defaultdict(set)
    owners: dict[_Import, list[Finding]] = defaultdict(list)
    for finding in findings:
        place = places.get((finding.line, finding.column)) if finding.rule == RULE else None
        if place is not None and place[0] not in guarded:
            unused[place[0]].add(place[1])
            owners[place[0]].append(finding)
    return unused, owners


def _alias_text(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def _alias_places(module: SourceModule) -> dict[tuple[int, int], tuple[_Import, int]]:
    """Each alias's (line, 1-based character column), as the rule reports it: its statement and position."""
    places = {}
    for node in module.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        for index, alias in enumerate(node.names):
            places[(alias.lineno, module.column(alias.lineno, alias.col_offset))] = (node, index)
    return places


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((kind.id if isinstance(kind, ast.Name) else kind.attr if isinstance(kind, ast.Attribute) else "")
               in _IMPORT_ERRORS for kind in kinds)


def _guarded_imports(module: SourceModule) -> set[ast.AST]:
    """Imports inside the ``try`` of a ``try``/``except ImportError`` (at any depth)."""
    guarded: set[ast.AST] = set()
    for node in module.nodes(ast.Try, ast.TryStar):
        if any(map(_catches_import_error, node.handlers)):
            guarded.update(inner for statement in node.body for inner in ast.walk(statement)
                           if isinstance(inner, (ast.Import, ast.ImportFrom)))
    return guarded


class _Locator:
    """Character offsets into the source of ``ast`` positions, lines and statements."""

    def __init__(self, module: SourceModule) -> None:
        self.module = module
        self.source = module.source
        self.line_starts = [0, *(match.end() for match in LINE_BREAK.finditer(module.source))]
        self.bodies = _bodies(module)

    def offset(self, line: int, byte_offset: int) -> int:
        return self.line_starts[line - 1] + self.module.column(line, byte_offset) - 1

    def start(self, node: ast.stmt) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.stmt) -> int:
        return self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)

    def line_start(self, line: int) -> int:
        return self.line_starts[line - 1]

    def next_line_start(self, line: int) -> int:
        return self.line_starts[line] if line < len(self.line_starts) else len(self.source)

    def line_end(self, line: int) -> int:
        """Where ``line``'s text ends, before its line break."""
        match = LINE_BREAK.search(self.source, self.line_start(line))
        return match.start() if match else len(self.source)

    def alone_on_lines(self, first: ast.stmt, last: ast.stmt) -> bool:
        """Nothing but blanks before ``first`` on its line, and at most ``;`` and a comment after ``last``."""
        before = self.source[self.line_start(first.lineno):self.start(first)]
        after = self.source[self.end(last):self.line_end(last.end_lineno or last.lineno)]
        return not before.strip(" \t\f") and _REST_OF_LINE.fullmatch(after) is not None


# Nodes that hold blocks of statements, and the fields that hold them.
_BLOCKS = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
           ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.ExceptHandler, ast.match_case)
_BLOCK_FIELDS = ("body", "orelse", "finalbody")


def _bodies(module: SourceModule) -> dict[ast.stmt, tuple[list[ast.stmt], bool]]:
    """Each statement's block (the list it sits in) and whether that block is the module's."""
    bodies: dict[ast.stmt, tuple[list[ast.stmt], bool]] = {}
    for node in module.nodes(*_BLOCKS):
        for name in _BLOCK_FIELDS:
            block = getattr(node, name, None)
            if block:
                bodies.update((statement, (block, node is module.tree)) for statement in block)
    return bodies


def _edits(locator: _Locator, unused: dict[_Import, set[int]]) -> dict[_Import, list[Edit]]:
    """Each statement's edits: a rewrite when it keeps names, its deletion otherwise."""
    edits: dict[_Import, list[Edit]] = {}
    whole: dict[int, tuple[list[ast.stmt], bool, set[ast.stmt]]] = {}
    for statement, indices in unused.items():
        if len(indices) < len(statement.names):
            rewrite = _rewrite(locator, statement, indices)
            if rewrite is not None:
                edits[statement] = [rewrite]
            continue
        body, is_module = locator.bodies[statement]
        whole.setdefault(id(body), (body, is_module, set()))[2].add(statement)
    for body, is_module, removed in whole.values():
        edits.update(_deletions(locator, body, is_module, removed))
    return edits


def _line_groups(body: Sequence[ast.stmt]) -> Iterable[list[ast.stmt]]:
    """Runs of statements that share lines (``a; b``)."""
    group: list[ast.stmt] = []
    for statement in body:
        if group and (group[-1].end_lineno or group[-1].lineno) == statement.lineno:
            group.append(statement)
        else:
            if group:
                yield group
            group = [statement]
    if group:
        yield group


def _deletions(locator: _Locator, body: list[ast.stmt], is_module: bool, removed: set[ast.stmt]
               ) -> dict[_Import, list[Edit]]:
    """Delete the ``removed`` statements of one block; the first becomes ``pass`` when none would remain."""
    replaced = body[0] if not is_module and all(statement in removed for statement in body) else None
    edits: dict[_Import, list[Edit]] = defaultdict(list)
    for group in _line_groups(body):
        if replaced in group:
            edits[replaced].append(Edit(locator.start(replaced), locator.end(replaced), "pass"))
        gone = [statement for statement in group if statement in removed and statement is not replaced]
        for statement, edit in _group_deletions(locator, group, gone):
            edits[statement].append(edit)
    return edits


def _group_deletions(locator: _Locator, group: list[ast.stmt], gone: list[ast.stmt]
                     ) -> Iterable[tuple[ast.stmt, Edit]]:
    """The deletion of each ``gone`` statement of a group sharing lines (``a; b``)."""
    kept = [position for position, statement in enumerate(group) if statement not in gone]
    if not kept:
        yield from _whole_group_deletion(locator, group)
        return
    last_kept = kept[-1]
    # After the last kept statement, one deletion from its end; before it, each up to the next statement.
    tail = Edit(locator.end(group[last_kept]), locator.end(group[-1]))
    for position, statement in enumerate(group):
        if statement in gone:
            yield statement, (tail if position > last_kept
                              else Edit(locator.start(statement), locator.start(group[position + 1])))


def _whole_group_deletion(locator: _Locator, group: list[ast.stmt]) -> Iterable[tuple[ast.stmt, Edit]]:
    """Every statement of the group goes: delete its whole lines (no fix unless it has them to itself)."""
    if locator.alone_on_lines(group[0], group[-1]):
        whole_lines = Edit(locator.line_start(group[0].lineno),
                           locator.next_line_start(group[-1].end_lineno or group[-1].lineno))
        yield from ((statement, whole_lines) for statement in group)


def _rewrite(locator: _Locator, statement: _Import, unused: set[int]) -> Edit | None:
    """The statement without the names at ``unused``, rewritten by libcst on its own slice; None if libcst cannot."""
    start, end = locator.start(statement), locator.end(statement)
    try:
        parsed = cst.parse_module(locator.source[start:end])
    except cst.ParserSyntaxError:
        return None
    line = parsed.body[0] if len(parsed.body) == 1 else None
    node = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
    if not isinstance(node, (cst.Import, cst.ImportFrom)) or isinstance(node.names, cst.ImportStar) \
            or len(node.names) != len(statement.names):
        return None
    return Edit(start, end, parsed.code_for_node(_without(node, unused)))


def _without(node: cst.Import | cst.ImportFrom, unused: set[int]) -> cst.Import | cst.ImportFrom:
    """``node`` without the aliases at ``unused``, keeping the commas, comments and layout of the rest."""
    names = list(node.names)
    separators = _moved_comment_lines(node, names, unused)
    kept = [alias.with_changes(comma=separators[index]) if index in separators else alias
            for index, alias in enumerate(names) if index not in unused]
    changes: dict[str, Any] = {}
    if separators.get(-1) is not None:
        changes["lpar"] = node.lpar.with_changes(whitespace_after=separators[-1])  # type: ignore[union-attr]
    if len(names) - 1 in unused:
        kept[-1], rpar = _new_last(kept[-1], names[-1], getattr(node, "rpar", None))
        if rpar is not None:
            changes["rpar"] = rpar
    return node.with_changes(names=kept, **changes)


def _moved_comment_lines(node: cst.Import | cst.ImportFrom, names: list[cst.ImportAlias], unused: set[int]
                         ) -> dict[int, Any]:
    """Comment lines that followed a removed alias move to the separator before it (a kept alias's comma,
    or ``-1`` for the opening parenthesis): new separators by the index of their owner."""
    separators: dict[int, Any] = {}
    for index in sorted(unused):
        lines = _comment_lines_after(names[index])
        if not lines:
            continue
        owner = max((i for i in range(index) if i not in unused), default=-1)
        current = separators.get(owner, names[owner].comma if owner >= 0 else _lpar_whitespace(node))
        target = current.whitespace_after if isinstance(current, cst.Comma) else current
        if isinstance(target, cst.ParenthesizedWhitespace):
            moved = target.with_changes(empty_lines=[*target.empty_lines, *lines])
            separators[owner] = moved if owner < 0 else current.with_changes(whitespace_after=moved)
    return separators


def _comment_lines_after(alias: cst.ImportAlias) -> list[cst.EmptyLine]:
    """The whole lines (comments, blanks) between ``alias``'s line and the next alias."""
    whitespace = alias.comma.whitespace_after if isinstance(alias.comma, cst.Comma) else None
    return list(whitespace.empty_lines) if isinstance(whitespace, cst.ParenthesizedWhitespace) else []


def _lpar_whitespace(node: cst.Import | cst.ImportFrom) -> Any:
    lpar = getattr(node, "lpar", None)
    return lpar.whitespace_after if lpar is not None else None


def _new_last(alias: cst.ImportAlias, old_last: cst.ImportAlias, rpar: cst.RightParen | None
              ) -> tuple[cst.ImportAlias, cst.RightParen | None]:
    """A kept alias that is now the last takes over the old last alias's ending: its trailing comma (or none)
    with what followed it; when comments follow the kept alias, the line break and indentation before ``)``."""
    comma = alias.comma
    ws = comma.whitespace_after if isinstance(comma, cst.Comma) else None
    if not isinstance(ws, cst.ParenthesizedWhitespace) or (ws.first_line.comment is None and not ws.empty_lines):
        return _old_ending(alias, old_last, rpar)
    old_comma = old_last.comma
    if isinstance(old_comma, cst.Comma):
        ending, new_rpar = old_comma.whitespace_after, None
    else:  # what preceded ``)`` was the removed alias's comment and line break: drop them
        ending = rpar.whitespace_before if rpar is not None else cst.SimpleWhitespace("")
        new_rpar = rpar.with_changes(whitespace_before=cst.SimpleWhitespace("")) if rpar is not None else None
    if isinstance(ending, cst.ParenthesizedWhitespace):
        tail = ws.with_changes(indent=ending.indent, last_line=ending.last_line)
    else:
        tail = ws.with_changes(indent=False, last_line=cst.SimpleWhitespace(""))
    return alias.with_changes(comma=comma.with_changes(whitespace_after=tail)), new_rpar


def _old_ending(alias: cst.ImportAlias, old_last: cst.ImportAlias, rpar: cst.RightParen | None
                ) -> tuple[cst.ImportAlias, cst.RightParen | None]:
    """``alias`` with the old last alias's comma (or none); the removed alias's comment goes with it."""
    old_comma = old_last.comma
    if isinstance(old_comma, cst.Comma):
        return alias.with_changes(comma=old_comma.with_changes(
            whitespace_after=_without_comment(old_comma.whitespace_after))), None
    new_rpar = rpar.with_changes(whitespace_before=_without_comment(rpar.whitespace_before)) if rpar else None
    return alias.with_changes(comma=old_comma), new_rpar


def _without_comment(whitespace: Any) -> Any:
    """``whitespace`` without the comment that ends its first line."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace) and whitespace.first_line.comment is not None:
        return whitespace.with_changes(first_line=whitespace.first_line.with_changes(
            whitespace=cst.SimpleWhitespace(""), comment=None))
    return whitespace
