"""Summary tables of a seed and of simulated sessions (the CLI and the benchmark print these)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.table import Table

from training.simulation.behaviour import ACTIONS
from training.simulation.seeding import SeedReport
from training.simulation.sessions import SessionReport


def seed_table(report: SeedReport) -> Table:
    table = Table(title="seeded world")
    table.add_column("")
    table.add_column("rows", justify="right")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    table.add_row("generate s", f"{report.generate_seconds:.1f}")
    table.add_row("write s", f"{report.write_seconds:.1f}")
    table.add_row("rows/s", f"{sum(report.rows.values()) / max(report.write_seconds, 1e-9):,.0f}")
    return table


def sessions_table(reports: Sequence[SessionReport]) -> Table:
    """One column per policy run; "vs oracle" is the hidden expected engagement relative to the oracle's
    on the same sessions (same users, times and state)."""
    table = Table(title="simulated sessions (engagement = likes + comments + saves + shares)")
    table.add_column("")
    for report in reports:
        table.add_column(report.policy, justify="right")
    for label, cell in SESSION_ROWS:
        table.add_row(label, *(cell(report) for report in reports))
    return table


def _ratio(report: SessionReport) -> str:
    return "n/a" if report.oracle_ratio is None else f"{report.oracle_ratio:.2f} (n={report.oracle_sessions:,})"


SESSION_ROWS: list[tuple[str, Callable[[SessionReport], str]]] = [
    ("sessions", lambda r: f"{r.sessions:,}"),
    ("impressions", lambda r: f"{r.impressions:,}"),
    *((f"{name}s", lambda r, name=name: f"{r.actions[name]:,}") for name in ACTIONS),
    ("like rate", lambda r: f"{r.like_rate:.2%}"),
    ("engagement/session", lambda r: f"{r.engagement_per_session:.3f}"),
    ("hides/session", lambda r: f"{r.hides_per_session:.3f}"),
    ("vs oracle", _ratio),
    ("events written", lambda r: f"{r.events:,}"),
    ("seconds", lambda r: f"{r.seconds:.1f}"),
    ("events/s", lambda r: f"{r.events_per_second:,.0f}"),
]
