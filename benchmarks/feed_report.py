"""The tables of benchmarks/feed.py: every phase fast vs stock, their ratio, the stage breakdown, the targets."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table

TOP_STAGES = 3


def print_report(console: Console, results: dict[str, Any]) -> None:
    world = results["world"]
    console.print(
        f"world: {world['users']:,} users, {world['posts']:,} posts, {world['follows']:,} follows; "
        f"{world['database']}, {world['online_store']} online store; serve --workers {results['workers']}, "
        f"page size {results['page_size']}, {results['cpus']} CPUs shared with the load client"
    )
    console.print(_phases(results))
    console.print(_ratios(results))
    console.print(_stages(results))
    console.print(_cpu(results))
    console.print(_targets(results))
    loads = ", ".join(f"{k}: {v[0]:.2f}/{v[1]:.2f}/{v[2]:.2f}" for k, v in results["load_average"].items())
    console.print(f"machine load average (1/5/15 min) {loads}")
    if "profile" in results:
        console.print(f"cProfile of {results['profile']['runs']} uncached feed rankings in process, by own time:")
        console.print(results["profile"]["tottime"], markup=False, highlight=False)


def _ms(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f}"


def _label(row: dict[str, Any]) -> str:
    return f"{row['phase']} c={row['concurrency']}"


def _phases(results: dict[str, Any]) -> Table:
    table = Table(title="feed load: server side (Prometheus buckets, interpolated) and client side (exact), ms")
    table.add_column("reader")
    table.add_column("phase")
    for column in ("n", "srv p50", "srv p95", "srv p99", "cli p50", "cli p95", "cli p99", "req/s", "cand/rank"):
        table.add_column(column, justify="right")
    table.add_column(f"top {TOP_STAGES} stages (mean ms)")
    for reader, rows in results["readers"].items():
        for row in rows:
            stages = sorted(row["stages_ms"].items(), key=lambda kv: -kv[1]["total_s"])[:TOP_STAGES]
            candidates = sum(row["candidates_per_ranking"].values())
            table.add_row(
                reader,
                _label(row),
                f"{row['requests']}" + (f" ({row['errors']} err)" if row["errors"] else ""),
                *(_ms(row["server_ms"][q]) for q in ("p50", "p95", "p99")),
                *(_ms(row["client_ms"][q]) for q in ("p50", "p95", "p99")),
                f"{row['requests_per_second']:.1f}",
                f"{candidates:.0f}" if candidates else "-",
                ", ".join(f"{name} {s['mean']:.1f}" for name, s in stages),
            )
        table.add_section()
    return table


def _cpu(results: dict[str, Any]) -> Table:
    """Where each phase's CPU went, per request, and the throughput that CPU leaves room for."""
    title = f"CPU per request (ms) of the programs sharing the {results['cpus']} cores, and the req/s they allow"
    table = Table(title=title)
    table.add_column("reader")
    table.add_column("phase")
    for column in ("server", "Redis", "client", "total", "cores allow", "measured"):
        table.add_column(column, justify="right")
    for reader, rows in results["readers"].items():
        for row in rows:
            cpu = row["cpu_ms_per_request"]
            bound = row["cpu_bound_per_second"]
            table.add_row(
                reader,
                _label(row),
                *(_ms(cpu[name]) for name in ("server", "redis", "client", "total")),
                f"{bound:.0f}/s" if bound else "-",
                f"{row['requests_per_second']:.1f}/s",
            )
        table.add_section()
    table.caption = "cores allow: cores x 1000 / total ms; Redis: its whole process (every database on it)"
    return table


def _ratios(results: dict[str, Any]) -> Table:
    fast, stock = (results["readers"].get(r, []) for r in ("fast", "stock"))
    table = Table(title="stock / fast (latency: > 1 means the fast path is quicker; req/s: fast / stock)")
    table.add_column("phase")
    for column in ("srv p50", "srv p99", "cli p50", "cli p99", "req/s"):
        table.add_column(column, justify="right")
    for f, s in zip(fast, stock, strict=False):
        table.add_row(
            _label(f),
            *(_ratio(s["server_ms"][q], f["server_ms"][q]) for q in ("p50", "p99")),
            *(_ratio(s["client_ms"][q], f["client_ms"][q]) for q in ("p50", "p99")),
            _ratio(f["requests_per_second"], s["requests_per_second"]),
        )
    return table


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return "-"
    return f"{a / b:.2f}x"


def _stages(results: dict[str, Any]) -> Table:
    """Per-stage cost of an uncached feed at concurrency 1 (no queueing behind other requests)."""
    table = Table(title="uncached feed, concurrency 1: pipeline stages (server side, ms)")
    table.add_column("stage")
    readers = list(results["readers"])
    for reader in readers:
        table.add_column(f"{reader} mean", justify="right")
        table.add_column(f"{reader} p99", justify="right")
    first = {r: next(row for row in results["readers"][r] if row["phase"] == "feed uncached") for r in readers}
    names = sorted(first[readers[0]]["stages_ms"], key=lambda n: -first[readers[0]]["stages_ms"][n]["mean"])
    for name in names:
        cells = []
        for reader in readers:
            stage = first[reader]["stages_ms"].get(name)
            cells += [_ms(stage["mean"]), _ms(stage["p99"])] if stage else ["-", "-"]
        table.add_row(name, *cells)
    table.caption = "stage p99 from buckets 0.2, 0.5, 1, 2.5, 5, 10, 25, 50, 100 ms, ..."
    return table


def _targets(results: dict[str, Any]) -> Table:
    table = Table(title="targets (fast reader)")
    for column in ("target", "measured", "met"):
        table.add_column(column)
    rows = results["readers"].get("fast", [])
    uncached = [r for r in rows if r["phase"] == "feed uncached"]
    cached = [r for r in rows if r["phase"].startswith("feed cached")]
    if not uncached:
        return table
    c1 = uncached[0]
    candidates = sum(c1["candidates_per_ranking"].values())
    best = max(uncached, key=lambda r: r["requests_per_second"])
    cached_p99 = max(r["server_ms"]["p99"] for r in cached) if cached else math.nan
    checks = [
        ("uncached feed p99 <= 50 ms (server, c=1)", f"{c1['server_ms']['p99']:.1f} ms", c1["server_ms"]["p99"] <= 50),
        (">= 500 candidates per ranking", f"{candidates:.0f}", candidates >= 500),
        ("cached page p99 <= 5 ms (server)", f"{cached_p99:.1f} ms", cached_p99 <= 5),
        (
            f">= 200 uncached feeds/s ({results['workers']} worker(s); the target is for 2)",
            f"{best['requests_per_second']:.1f}/s at c={best['concurrency']}",
            best["requests_per_second"] >= 200,
        ),
    ]
    pages = sum(sum(r["scorers"].values()) for r in rows)
    model = sum(r["scorers"].get("lightgbm", 0) for r in rows)
    checks.append(("pages scored by the LightGBM champion", f"{model} of {pages}", model == pages))
    for name, measured, met in checks:
        table.add_row(name, measured, "yes" if met else "NO")
    return table
