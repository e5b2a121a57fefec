"""Suppressions: which comments silence which findings.

Line level, on the reported line: ``# audit: ignore``, ``# audit: ignore[rule, ...]``
and, for ruff and flake8 users, ``# noqa`` and ``# noqa: CODE, ...``.
File level, in a comment on a line of its own: ``# audit: ignore-file``,
``# audit: ignore-file[rule, ...]``, ``# ruff: noqa``, ``# flake8: noqa`` and
``# ruff: noqa: CODE, ...``.

Comments are found with ``tokenize``, so text inside strings never counts. Every
other comment that starts with ``# audit:`` is a warning and silences nothing,
as is a ``# noqa:`` not followed by a list of codes (ruff's rule, once per file).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from bisect import bisect_left
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

from audit.rule import Rule
from audit.source import LINE_BREAK as _LINE_BREAK

# Files without any of these words cannot hold a directive, and are not tokenized.
_MAYBE_DIRECTIVE = re.compile(r"#[^\S\r\n]*(?:noqa|audit|ruff|flake8)", re.IGNORECASE)
_HASH = re.compile(r"#\s*")
_TEXT_COMMENT = re.compile(r"(?:^|\s)(#.*)$")
_AUDIT = re.compile(r"audit\s*:\s*", re.IGNORECASE)
_AUDIT_FORM = re.compile(r"(?P<kind>ignore-file|ignore)(?:\[(?P<rules>[^\]#]*)\])?(?=$|\s|#)")
_FILE_NOQA = re.compile(r"(?P<tool>ruff|flake8)\s*:\s*noqa(?![\w-])", re.IGNORECASE)
_TOOL_NAME = re.compile(r"ruff|flake8")
_NOQA = re.compile(r"noqa(?![\w-])", re.IGNORECASE)
_CODES = re.compile(r"\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*)")
_COLON = re.compile(r"\s*:")
_RULE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_AUDIT_GRAMMAR = ("expected `# audit: ignore`, `# audit: ignore[rule, ...]`, `# audit: ignore-file` "
                  "or `# audit: ignore-file[rule, ...]`")


@dataclass(slots=True)
class Silence:
    """What the directives of one line (or of the whole file) silence."""

    everything: bool = False
    rules: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)

    def covers(self, rule: Rule) -> bool:
        return self.everything or rule.name in self.rules or not self.codes.isdisjoint(rule.noqa_codes)

    def __bool__(self) -> bool:
        return self.everything or bool(self.rules) or bool(self.codes)


@dataclass(slots=True)
class Suppressions:
    """The suppressions of one file, and the warnings its directives deserve as ``(line, message)``."""

    by_line: dict[int, Silence] = field(default_factory=dict)
    whole_file: Silence = field(default_factory=Silence)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether any directive silences anything (warnings aside)."""
        return bool(self.by_line) or bool(self.whole_file)

    def suppresses(self, rule: Rule, line: int) -> bool:
        """Whether a directive silences ``rule`` on ``line``."""
        if self.whole_file.covers(rule):
            return True
        silence = self.by_line.get(line)
        return silence is not None and silence.covers(rule)


def read_suppressions(source: str, lines: list[str], known_rules: Collection[str],
                      strings: Sequence[ast.AST] | None = None) -> Suppressions:
    """Every directive in the comments of ``source`` (``lines`` as Python counts them).

    With ``strings`` (the module's string nodes), only the lines that may hold a
    directive are read, each on its own; without, or when one of those lines lies
    in a string of several lines, the whole file is tokenized. Both read the same comments.
    """
    found = Suppressions()
    if not _MAYBE_DIRECTIVE.search(source):
        return found
    reader = _DirectiveReader(found, lines, known_rules)
    try:
        comments = None if strings is None else _comments_of_candidate_lines(source, lines, strings)
        for comment, row, column in comments if comments is not None else _all_comments(source):
            reader.read_comment(comment, row, column)
    except (tokenize.TokenError, SyntaxError) as error:
        return Suppressions(warnings=[(1, f"cannot read comments, so no suppression applies: {error}")])
    reader.finish()
    return found


def read_text_suppressions(lines: list[str], known_rules: Collection[str]) -> Suppressions:
    """Directives in the ``#`` comments of a file that is not Python (a YAML config), for project rules.

    A comment starts at a ``#`` that begins the line or follows a space, as in YAML.
    """
    found = Suppressions()
    reader = _DirectiveReader(found, lines, known_rules)
    for row, text in enumerate(lines, start=1):
        match = _TEXT_COMMENT.search(text)
        if match and _MAYBE_DIRECTIVE.search(match.group(1)):
            reader.read_comment(match.group(1), row, match.start(1))
    reader.finish()
    return found


def _all_comments(source: str) -> Iterator[tuple[str, int, int]]:
    for token in tokenize.generate_tokens(io.StringIO(source, newline="").readline):
        if token.type == tokenize.COMMENT:
            yield token.string, *token.start


def _comments_of_candidate_lines(source: str, lines: list[str],
                                 strings: Sequence[ast.AST]) -> list[tuple[str, int, int]] | None:
    """The comments of the lines that may hold a directive, or None when a line cannot be read on its own.

    A line outside every string of several lines holds code and comments only: without
    quotes its first ``#`` starts the comment; with quotes, tokenizing it alone finds it.
    """
    rows = _candidate_rows(source)
    if _in_multiline_string(rows, strings):
        return None
    comments = []
    for row in rows:
        text = lines[row - 1]
        if "'" not in text and '"' not in text:
            comments.append((text[text.index("#"):], row, text.index("#")))
            continue
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(text + "\n").readline))
        except (tokenize.TokenError, SyntaxError):
            return None
        comments += [(token.string, row, token.start[1]) for token in tokens if token.type == tokenize.COMMENT]
    return comments


def _candidate_rows(source: str) -> list[int]:
    """The 1-based rows holding a match of ``_MAYBE_DIRECTIVE``, each once, in order."""
    rows: list[int] = []
    row, position = 1, 0
    for match in _MAYBE_DIRECTIVE.finditer(source):
        row += len(_LINE_BREAK.findall(source, position, match.start()))
        position = match.start()
        if not rows or rows[-1] != row:
            rows.append(row)
    return rows


def _in_multiline_string(rows: list[int], strings: Sequence[ast.AST]) -> bool:
    """Whether one of ``rows`` lies within the lines of a string spanning several lines."""
    for node in strings:
        start, end = node.lineno, node.end_lineno or node.lineno
        if end > start:
            index = bisect_left(rows, start)
            if index < len(rows) and rows[index] <= end:
                return True
    return False


@dataclass(slots=True)
class _DirectiveReader:
    found: Suppressions
    lines: list[str]
    known_rules: Collection[str]
    invalid_noqa: list[int] = field(default_factory=list)

    def read_comment(self, comment: str, row: int, column: int) -> None:
        """Read each directive of one comment; a comment may hold several (``# noqa  # audit: ignore``)."""
        own_line = self.lines[row - 1][:column].strip() == "" if row <= len(self.lines) else True
        for hash_mark in _HASH.finditer(comment):
            self._read_directive(comment, hash_mark, row, own_line)

    def _read_directive(self, comment: str, hash_mark: re.Match[str], row: int, own_line: bool) -> None:
        start = hash_mark.end()
        if match := _AUDIT.match(comment, start):
            text = "# " + comment[start:].strip()
            self._read_audit(comment, match.end(), text, row, own_line)
        elif (match := _FILE_NOQA.match(comment, start)) and _TOOL_NAME.fullmatch(match.group("tool")):
            self._read_file_noqa(comment, match, row, own_line)
        elif match := _NOQA.match(comment, start):
            silence = self._noqa_silence(comment, match.end(), row)
            if silence:
                self._line(row, silence)

    def _read_audit(self, comment: str, start: int, text: str, row: int, own_line: bool) -> None:
        match = _AUDIT_FORM.match(comment, start)
        if match is None or (match.group("rules") is None and comment[match.end():].lstrip().startswith("[")):
            self._warn(row, f"malformed suppression: `{_shorten(text)}`: {_AUDIT_GRAMMAR}; it suppresses nothing")
            return
        listed = match.group("rules")
        silence = Silence(everything=True) if listed is None else self._listed_rules(listed, text, row)
        if silence is None:
            return
        if match.group("kind") == "ignore-file":
            self._file(row, silence, own_line, "# audit: ignore-file")
        elif silence:
            self._line(row, silence)

    def _listed_rules(self, listed: str, text: str, row: int) -> Silence | None:
        """The known rules of ``ignore[...]``; a warning for each unknown one; None for an empty list."""
        names = [name for name in re.split(r"[\s,]+", listed) if name]
        if not names:
            self._warn(row, f"malformed suppression: `{_shorten(text)}`: the rule list is empty; it suppresses nothing")
            return None
        silence = Silence()
        for name in names:
            if _RULE_NAME.fullmatch(name) and name in self.known_rules:
                silence.rules.add(name)
            else:
                self._warn(row, f"unknown rule `{name}` in suppression `{_shorten(text)}` (see `audit rules`)")
        return silence

    def _read_file_noqa(self, comment: str, match: re.Match[str], row: int, own_line: bool) -> None:
        silence = self._noqa_silence(comment, match.end(), row)
        if silence:
            self._file(row, silence, own_line, f"# {match.group('tool')}: noqa")

    def _noqa_silence(self, comment: str, end: int, row: int) -> Silence:
        """Codes after ``noqa:``, everything for a bare ``noqa``, nothing (and a warning) otherwise."""
        if not _COLON.match(comment, end):
            return Silence(everything=True)
        codes = _CODES.match(comment, end)
        if codes is None:
            self.invalid_noqa.append(row)
            return Silence()
        return Silence(codes=set(re.split(r"\s*,\s*|\s+", codes.group("codes"))))

    def _line(self, row: int, silence: Silence) -> None:
        current = self.found.by_line.setdefault(row, Silence())
        current.everything |= silence.everything
        current.rules |= silence.rules
        current.codes |= silence.codes

    def _file(self, row: int, silence: Silence, own_line: bool, form: str) -> None:
        if not own_line:
            self._warn(row, f"`{form}` must be on a line of its own to apply to the file; it suppresses nothing")
            return
        whole = self.found.whole_file
        whole.everything |= silence.everything
        whole.rules |= silence.rules
        whole.codes |= silence.codes

    def _warn(self, row: int, message: str) -> None:
        self.found.warnings.append((row, message))

    def finish(self) -> None:
        """One warning for the file's invalid ``# noqa`` directives, as ruff gives."""
        if self.invalid_noqa:
            more = len(self.invalid_noqa) - 1
            self._warn(self.invalid_noqa[0], "invalid `# noqa` directive: expected a comma-separated list of codes "
                       "(e.g. `# noqa: F401, E722`); it suppresses nothing"
                       + (f" ({more} more in this file)" if more else ""))
        self.found.warnings.sort()


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."
