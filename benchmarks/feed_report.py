"""The tables of benchmarks/feed.py: every phase per reader (fast, previous, stock), the ratios to fast, the stage
breakdown, the CPU split, memory per worker and the targets."""

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
    if "readers_are" in results:
        for reader, what in results["readers_are"].items():
            console.print(f"  {reader}: {what}")
    if "client" in results:
        console.print(f"  load client: {results['client']}")
    console.print(_phases(results))
    for reference in ("previous", "stock"):
        if reference in results["readers"]:
            console.print(_ratios(results, reference))
    console.print(_stages(results))
    console.print(_cpu(results))
    if "memory_mib" in results:
        console.print(_memory(results))
    console.print(_targets(results))
    console.print(_checks(results))
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


def _ratios(results: dict[str, Any], reference: str) -> Table:
    fast, other = (results["readers"].get(r, []) for r in ("fast", reference))
    title = f"{reference} / fast (latency: > 1 means fast is quicker; req/s and CPU: fast / {reference}, CPU inverted)"
    table = Table(title=title)
    table.add_column("phase")
    for column in ("srv p50", "srv p99", "srv mean", "cli p50", "cli p99", "req/s", "server CPU"):
        table.add_column(column, justify="right")
    for f, s in zip(fast, other, strict=False):
        table.add_row(
            _label(f),
            *(_ratio(s["server_ms"][q], f["server_ms"][q]) for q in ("p50", "p99")),
            _ratio(s.get("server_mean_ms"), f.get("server_mean_ms")),
            *(_ratio(s["client_ms"][q], f["client_ms"][q]) for q in ("p50", "p99")),
            _ratio(f["requests_per_second"], s["requests_per_second"]),
            _ratio(s["cpu_ms_per_request"]["server"], f["cpu_ms_per_request"]["server"]),
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
    means: dict[str, float] = {}
    for reader in readers:  # the stages of every reader (an older version may name other stages)
        for name, stage in first[reader]["stages_ms"].items():
            means.setdefault(name, stage["mean"])
    names = sorted(means, key=lambda n: -means[n])
    for name in names:
        cells = []
        for reader in readers:
            stage = first[reader]["stages_ms"].get(name)
            cells += [_ms(stage["mean"]), _ms(stage["p99"])] if stage else ["-", "-"]
        table.add_row(name, *cells)
    table.caption = "stage p99 from buckets 0.2, 0.5, 1, 2.5, 5, 10, 25, 50, 100 ms, ..."
    return table


def _memory(results: dict[str, Any]) -> Table:
    table = Table(title="server memory after the load (MiB): RSS of the master and each worker; USS: the worker's own")
    for column in ("reader", "master RSS", "worker RSS", "worker USS"):
        table.add_column(column, justify="right" if column != "reader" else "left")
    for reader, memory in results["memory_mib"].items():
        table.add_row(
            reader,
            ", ".join(f"{v:.0f}" for v in memory["master"]),
            ", ".join(f"{v:.0f}" for v in memory["workers"]),
            ", ".join(f"{v:.0f}" for v in memory["workers_uss"]),
        )
    table.caption = "the post catalogue alone at 200k / 1M posts: benchmarks/catalogue.py (one copy per worker process)"
    return table


def _figures(rows: list[dict[str, Any]]) -> dict[str, tuple[float, str]]:
    """A reader's figure for each target (value, and how it was measured)."""
    uncached = [r for r in rows if r["phase"] == "feed uncached"]
    cached = [r for r in rows if r["phase"].startswith("feed cached") and r["concurrency"] == 1]
    explore = [r for r in rows if r["phase"] == "explore"]
    out: dict[str, tuple[float, str]] = {}
    if uncached:
        c1 = uncached[0]
        candidates = sum(c1["candidates_per_ranking"].values())
        out["cpu"] = (c1["cpu_ms_per_request"]["server"], f"{candidates:.0f} cand.")
        out["uncached_p99"] = (c1["server_ms"]["p99"], "")
        best = max(uncached, key=lambda r: r["requests_per_second"])
        out["feeds_s"] = (best["requests_per_second"], f"c={best['concurrency']}")
    if cached:
        out["cached_p99"] = (cached[0]["server_ms"]["p99"], "")
    if explore:
        best = max(explore, key=lambda r: r["requests_per_second"])
        out["explore_s"] = (best["requests_per_second"], f"c={best['concurrency']}")
    return out


TARGETS = (  # key, target, goal, unit, met
    ("cpu", "server CPU per uncached ranking, >= 500 candidates", "<= 8 ms", "ms", lambda v: v <= 8),
    ("uncached_p99", "uncached feed, server p99, c=1", "<= 50 ms (aim <= 15)", "ms", lambda v: v <= 50),
    ("cached_p99", "cached page, server p99, c=1", "<= 5 ms", "ms", lambda v: v <= 5),
    ("feeds_s", "uncached feeds/s, 2 workers, saturation", ">= 200", "/s", lambda v: v >= 200),
    ("explore_s", "explore/s, 2 workers", ">= 200", "/s", lambda v: v >= 200),
)


def _targets(results: dict[str, Any]) -> Table:
    readers = list(results["readers"])
    table = Table(title=f"targets (serve --workers {results['workers']}; met: the fast reader)")
    for column in ("target", "goal", *readers, "met"):
        table.add_column(column, justify="right" if column in readers else "left")
    figures = {r: _figures(results["readers"][r]) for r in readers}
    for key, name, goal, unit, met in TARGETS:
        cells = []
        for reader in readers:
            value, how = figures[reader].get(key, (math.nan, ""))
            cells.append(f"{_ms(value)} {unit}" + (f" ({how})" if how else ""))
        fast = figures.get("fast", {}).get(key)
        table.add_row(name, goal, *cells, "-" if fast is None else "yes" if met(fast[0]) else "NO")
    candidates = figures.get("fast", {}).get("cpu", (0.0, ""))[1]
    memory = results.get("memory_mib", {}).get("fast")
    worker = f"worker RSS {', '.join(f'{v:.0f}' for v in memory['workers'])} MiB here" if memory else ""
    table.add_row("memory per worker, 200k / 1M posts", "reported", *([""] * len(readers)), "benchmarks/catalogue.py")
    table.caption = f"fast c=1: {candidates}; {worker}".strip("; ")
    return table


def _checks(results: dict[str, Any]) -> Table:
    table = Table(title="checks")
    for column in ("reader", "pages scored by the LightGBM champion", "non-200", "degraded pages"):
        table.add_column(column)
    for reader, rows in results["readers"].items():
        pages = sum(sum(r["scorers"].values()) for r in rows)
        model = sum(r["scorers"].get("lightgbm", 0) for r in rows)
        errors = sum(r["errors"] for r in rows)
        degraded = sum(sum(r["degraded"].values()) for r in rows)
        table.add_row(reader, f"{model} of {pages}", str(errors), str(degraded))
    return table
