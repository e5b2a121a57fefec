"""``audit rules``: the rule table, and one rule's full documentation."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from audit.registry import all_rules
from audit.rule import PHASES, Rule


def print_rule_table(console: Console) -> None:
    """The rule table; outside a terminal, one unwrapped ``name  summary`` line per rule."""
    if not console.is_terminal:
        rules = all_rules()
        width = max((len(rule.name) for rule in rules), default=0)
        console.file.write("".join(f"{rule.name.ljust(width)}  {rule.summary}\n" for rule in rules))
        return
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("rule", style="cyan", no_wrap=True)
    table.add_column("summary")
    for rule in all_rules():
        table.add_row(rule.name, rule.summary)
    console.print(table)


# The headings of ``audit rules NAME``, one for one those of ruff's rule pages.
HEADINGS = ("What it does", "Why is this bad?", "Fix safety", "Example", "Options", "References")


def rule_markdown(rule: Rule) -> str:
    """A rule's documentation as markdown, under ``HEADINGS`` in that order."""
    what = [rule.summary]
    if rule.status == "preview":
        what.append("This rule is in preview: its findings may still change between versions.")
    if rule.noqa_codes:
        what.append("Also silenced by `# noqa: " + ", ".join(sorted(rule.noqa_codes)) + "`.")
    remedy = rule.remedy
    fix = [f"Applicability: {rule.fix_safety.applicability}. {rule.fix_safety.explanation}",
           f"An assessment plans the manual fix as *{remedy.title}* ({PHASES[remedy.phase].lower()}): about "
           f"{remedy.minutes} min per finding, {remedy.risk} risk; the problem's harm is rated {remedy.harm}."]
    example = [f"```python\n{rule.bad_example.strip()}\n```", f"Use instead: {rule.advice}",
               f"```python\n{rule.good_example.strip()}\n```"]
    options = [f"- `{option.key}` (default `{option.default!r}`): {option.help}" for option in rule.options]
    references = [f"- <{reference}>" if "://" in reference else f"- {reference}" for reference in rule.references]
    bodies = (what, [rule.rationale], fix, example, ["\n".join(options) or "None."],
              ["\n".join(references) or "None."])
    parts = [f"# {rule.name}"]
    for heading, body in zip(HEADINGS, bodies, strict=True):
        parts += [f"## {heading}", *body]
    return "\n\n".join(parts) + "\n"


def print_rule(rule: Rule, console: Console) -> None:
    """Rendered in a terminal; outside one, the markdown source, which nothing wraps."""
    if console.is_terminal:
        console.print(Markdown(rule_markdown(rule)))
    else:
        console.file.write(rule_markdown(rule))
