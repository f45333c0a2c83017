"""Off-policy estimates as a table: one row per estimator, one column per policy, "value [low, high]"."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table

from training.off_policy.estimators import Estimate


def estimates_table(title: str, columns: Mapping[str, Mapping[str, Estimate]]) -> Table:
    table = Table(title=title)
    table.add_column("estimator")
    for name in columns:
        table.add_column(name, justify="right")
    estimators = list(dict.fromkeys(e for estimates in columns.values() for e in estimates))
    for estimator in estimators:
        cells = [_cell(estimates.get(estimator)) for estimates in columns.values()]
        table.add_row(estimator, *cells)
    ess = [f"{next(iter(estimates.values())).ess:,.0f}" if estimates else "-" for estimates in columns.values()]
    table.add_row("effective requests", *ess)
    return table


def _cell(estimate: Estimate | None) -> str:
    if estimate is None:
        return "-"
    return f"{estimate.value:.4f} [{estimate.low:.4f}, {estimate.high:.4f}]"
