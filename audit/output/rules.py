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


def rule_markdown(rule: Rule) -> str:
    """A rule's documentation as markdown (also used by the report)."""
    parts = [f"# {rule.name}", rule.summary, "## Why it matters", rule.rationale, "## What to do", rule.advice]
    if rule.options:
        parts.append("## Options")
        parts.extend(f"- `{option.key}` (default `{option.default!r}`): {option.help}" for option in rule.options)
    remedy = rule.remedy
    parts += ["## In an assessment",
              f"Planned as *{remedy.title}* ({PHASES[remedy.phase].lower()}): about {remedy.minutes} min per finding, "
              f"{remedy.risk} risk; the problem's harm is rated {remedy.harm}."]
    if rule.noqa_codes:
        parts.append("Also silenced by `# noqa: " + ", ".join(sorted(rule.noqa_codes)) + "`.")
    parts += ["## Bad", f"```python\n{rule.bad_example.strip()}\n```", "## Good",
              f"```python\n{rule.good_example.strip()}\n```"]
    return "\n\n".join(parts) + "\n"


def print_rule(rule: Rule, console: Console) -> None:
    """Rendered in a terminal; outside one, the markdown source, which nothing wraps."""
    if console.is_terminal:
        console.print(Markdown(rule_markdown(rule)))
    else:
        console.file.write(rule_markdown(rule))
