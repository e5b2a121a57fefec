"""Suppressions: which comments silence which findings.

Line level, on the reported line: ``# audit: ignore``, ``# audit: ignore[rule, ...]``
and, for ruff and flake8 users, ``# noqa`` and ``# noqa: CODE, ...``.
File level, in a comment on a line of its own: ``# audit: ignore-file``,
``# audit: ignore-file[rule, ...]``, ``# ruff: noqa``, ``# flake8: noqa`` and
``# ruff: noqa: CODE, ...``.

Comments are found with ``tokenize``, so text inside strings never counts. Every
other comment that starts with ``# audit:`` is a warning and silences nothing,
as is a ``# noqa:`` not followed by a list of codes (ruff's rule, once per file).

Each directive remembers which rules it silenced in a scan, so ``Suppressions.unused``
can name those that silenced nothing (``--report-unused-suppressions``).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from audit.model import UnusedSuppression
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
class Directive:
    """One suppression as written, and the rules it silenced in this scan (``matched``).

    ``borrowed`` marks the ``noqa`` forms ruff and flake8 read too: a blanket one may
    serve them, so only its codes that map to audit rules are ever judged unused.
    """

    line: int
    text: str
    whole_file: bool = False
    everything: bool = False
    rules: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    borrowed: bool = False
    matched: set[str] = field(default_factory=set)

    def covers(self, rule: Rule) -> bool:
        return self.everything or rule.name in self.rules or not self.codes.isdisjoint(rule.noqa_codes)

    def unused(self, path: str, judge: _Judge) -> UnusedSuppression | None:
        """What of this directive silenced nothing that ``judge`` can vouch for, or None."""
        if self.everything:
            return self._unused_blanket(path, judge)
        unused: list[str] = []
        disabled: list[str] = []
        for name in sorted(self.rules):
            judge.sort(name, {name}, self.matched, unused, disabled)
        for code in sorted(self.codes):
            # A code for rules audit does not run here is left to the linters that share it.
            if judge.rules_of_code.get(code, frozenset()) & judge.enabled:
                judge.sort(code, judge.rules_of_code[code], self.matched, unused, disabled)
        if not unused and not disabled:
            return None
        parts = ([f"unused: {', '.join(unused)}"] if unused else []) + (
            [f"not enabled: {', '.join(disabled)}"] if disabled else [])
        return UnusedSuppression(path, self.line, self.text, tuple(unused + disabled), "; ".join(parts))

    def _unused_blanket(self, path: str, judge: _Judge) -> UnusedSuppression | None:
        """A blanket ``noqa`` may serve ruff or flake8: only ``# audit: ignore[-file]`` is judged."""
        if self.borrowed or self.matched or judge.unknown:
            return None
        where = "in this file" if self.whole_file else "on this line"
        return UnusedSuppression(path, self.line, self.text, (), f"no finding {where} to silence")


@dataclass(frozen=True, slots=True)
class _Judge:
    """Which rules ran on a file (``enabled``), which ran without a verdict (``unknown``), and noqa codes' rules."""

    enabled: frozenset[str]
    unknown: frozenset[str]
    rules_of_code: Mapping[str, frozenset[str]]

    def sort(self, name: str, rules: set[str] | frozenset[str], matched: set[str],
             unused: list[str], disabled: list[str]) -> None:
        """File ``name`` (a rule or a code standing for ``rules``) as used, unknown, unused or not enabled."""
        if rules & matched or rules & self.unknown:
            return
        (unused if rules & self.enabled else disabled).append(name)


@dataclass(slots=True)
class Silence:
    """What the directives of one line (or of the whole file) silence."""

    everything: bool = False
    rules: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    directives: list[Directive] = field(default_factory=list)

    def covers(self, rule: Rule) -> bool:
        return self.everything or rule.name in self.rules or not self.codes.isdisjoint(rule.noqa_codes)

    def add(self, directive: Directive) -> None:
        self.everything |= directive.everything
        self.rules |= directive.rules
        self.codes |= directive.codes
        self.directives.append(directive)

    def mark(self, rule: Rule) -> None:
        """Record that ``rule`` was silenced by each of these directives that covers it."""
        for directive in self.directives:
            if directive.covers(rule):
                directive.matched.add(rule.name)

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
        """Whether a directive silences ``rule`` on ``line``; the directives that do are marked as used."""
        if self.whole_file.covers(rule):
            self.whole_file.mark(rule)
            return True
        silence = self.by_line.get(line)
        if silence is not None and silence.covers(rule):
            silence.mark(rule)
            return True
        return False

    def unused(self, path: str, rules: Sequence[Rule], enabled: Collection[str],
               unknown: Collection[str]) -> list[UnusedSuppression]:
        """The directives (or the names in them) that silenced nothing, in line order.

        ``enabled`` are the rules that ran on the file; ``unknown`` those among them whose
        findings are not all known (a project rule phase 2 did not run, a rule that failed):
        a directive that may be silencing one of those is not judged.
        """
        rules_of_code: dict[str, set[str]] = {}
        for rule in rules:
            for code in rule.noqa_codes:
                rules_of_code.setdefault(code, set()).add(rule.name)
        judge = _Judge(frozenset(enabled), frozenset(unknown),
                       {code: frozenset(names) for code, names in rules_of_code.items()})
        directives = [*self.whole_file.directives, *(d for s in self.by_line.values() for d in s.directives)]
        found = (directive.unused(path, judge) for directive in sorted(directives, key=lambda d: d.line))
        return [entry for entry in found if entry is not None]


def read_suppressions(source: str, lines: list[str], known_rules: Collection[str] | None,
                      strings: Sequence[ast.AST] | None = None) -> Suppressions:
    """Every directive in the comments of ``source`` (``lines`` as Python counts them).

    A rule name outside ``known_rules`` is warned about and silences nothing; with None, every
    well-formed name is taken (for a caller that only asks whether a known rule is silenced).

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


def read_text_suppressions(lines: list[str], known_rules: Collection[str] | None) -> Suppressions:
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
    known_rules: Collection[str] | None  # None: any well-formed name
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
            self._read_audit(comment, hash_mark.start(), match.end(), text, row, own_line)
        elif (match := _FILE_NOQA.match(comment, start)) and _TOOL_NAME.fullmatch(match.group("tool")):
            directive = self._noqa_directive(comment, hash_mark.start(), match.end(), row, whole_file=True)
            if directive is not None:
                self._file(directive, own_line, f"# {match.group('tool')}: noqa")
        elif match := _NOQA.match(comment, start):
            directive = self._noqa_directive(comment, hash_mark.start(), match.end(), row, whole_file=False)
            if directive is not None:
                self._line(directive)

    def _read_audit(self, comment: str, hash_start: int, start: int, text: str, row: int, own_line: bool) -> None:
        match = _AUDIT_FORM.match(comment, start)
        if match is None or (match.group("rules") is None and comment[match.end():].lstrip().startswith("[")):
            self._warn(row, f"malformed suppression: `{_shorten(text)}`: {_AUDIT_GRAMMAR}; it suppresses nothing")
            return
        listed = match.group("rules")
        rules = frozenset() if listed is None else self._listed_rules(listed, text, row)
        if rules is None:
            return
        whole_file = match.group("kind") == "ignore-file"
        directive = Directive(row, comment[hash_start:match.end()], whole_file, listed is None, rules)
        if whole_file:
            self._file(directive, own_line, "# audit: ignore-file")
        elif directive.everything or directive.rules:
            self._line(directive)

    def _listed_rules(self, listed: str, text: str, row: int) -> frozenset[str] | None:
        """The known rules of ``ignore[...]``; a warning for each unknown one; None for an empty list."""
        names = [name for name in re.split(r"[\s,]+", listed) if name]
        if not names:
            self._warn(row, f"malformed suppression: `{_shorten(text)}`: the rule list is empty; it suppresses nothing")
            return None
        known = set()
        for name in names:
            if _RULE_NAME.fullmatch(name) and (self.known_rules is None or name in self.known_rules):
                known.add(name)
            else:
                self._warn(row, f"unknown rule `{name}` in suppression `{_shorten(text)}` (see `audit rules`)")
        return frozenset(known)

    def _noqa_directive(self, comment: str, hash_start: int, end: int, row: int, whole_file: bool
                        ) -> Directive | None:
        """Codes after ``noqa:``, everything for a bare ``noqa``, None (and a warning) otherwise."""
        if not _COLON.match(comment, end):
            return Directive(row, comment[hash_start:end], whole_file, everything=True, borrowed=True)
        codes = _CODES.match(comment, end)
        if codes is None:
            self.invalid_noqa.append(row)
            return None
        return Directive(row, comment[hash_start:codes.end()], whole_file,
                         codes=frozenset(re.split(r"\s*,\s*|\s+", codes.group("codes"))), borrowed=True)

    def _line(self, directive: Directive) -> None:
        self.found.by_line.setdefault(directive.line, Silence()).add(directive)

    def _file(self, directive: Directive, own_line: bool, form: str) -> None:
        if not own_line:
            self._warn(directive.line, f"`{form}` must be on a line of its own to apply to the file; "
                       "it suppresses nothing")
            return
        if directive.everything or directive.rules or directive.codes:
            self.found.whole_file.add(directive)

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
