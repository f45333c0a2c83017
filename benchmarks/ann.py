"""Approximate nearest-neighbour search of `PostIndex` against exact search, one thread, one run.

    python benchmarks/ann.py [--quick] [--json OUT]

Datasets: (a) two-tower post embeddings: a small world is seeded and simulated (SQLite), a two-tower
model is trained on its likes/comments/saves, then the posts of a second, larger generated world
(>= 200k posts; --quick 50k) are embedded by the post tower from content alone (author, caption,
hashtags; ids blanked, as for brand-new posts); queries are the trained world's user embeddings.
(b) clustered synthetic 64-d unit vectors (1M; --quick 100k), queries from the same mixture.
The reference is exact search (`IndexFlatIP`) on the same queries; indexes are built with 2 threads,
every search runs with one thread, one query at a time, k = 100 and k = 500.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from candidates.index import IndexConfig, PostIndex
from candidates.two_tower.embed import embed_posts, embed_users, post_table
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from candidates.two_tower.task import TaskConfig, TwoTowerTask
from candidates.two_tower.trainer import TrainConfig, fit
from social_core.db import make_engine
from social_core.migrate import upgrade
from training.datasets.engagement import load_engagement, time_split
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import WorldConfig, generate_world

QUERIES = 500
HNSW_EF = (16, 32, 64, 128, 256, 512)
IVF_PROBES = (4, 8, 16, 32, 64)


def two_tower_vectors(n_posts: int, quick: bool) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
        upgrade(engine)
        seed_world(engine, home, WorldConfig(users=1_000 if quick else 3_000, days=14, seed=1))
        run_sessions(
            engine, home, SessionConfig(sessions=10_000 if quick else 40_000, policy="popular", oracle_sessions=0)
        )
        data = load_engagement(engine, history=20)
        engine.dispose()
    train, validation, _ = time_split(data.examples, 0.01, 0.1)
    torch.manual_seed(0)
    model = TwoTower.build(TwoTowerConfig(history=20))
    result = fit(
        TwoTowerTask(model, TaskConfig(id_dropout=0.3)),
        data.table,
        train,
        validation,
        TrainConfig(epochs=8, batch_size=256, patience=2),
    )
    posts = big_world_posts(n_posts)
    users = embed_users(model, data.examples.user_ids, data.examples.history)
    unique = np.unique(data.examples.user_ids, return_index=True)[1]
    rng = np.random.default_rng(0)
    queries = users[rng.choice(unique, min(QUERIES, len(unique)), replace=False)]
    info = {"trained_examples": len(train), "trained_posts": len(data.table), "best_epoch": result.best_epoch}
    return embed_posts(model, posts), queries, info


def big_world_posts(n_posts: int) -> Any:
    days = 34
    users = int(np.ceil(n_posts / (0.3 * days) * 1.1))  # a margin: then exactly n_posts are kept
    world = generate_world(WorldConfig(users=users, days=days, seed=7))
    rows = [
        {"id": -1, "author_id": int(a) + 1, "caption": c}
        for a, c in zip(world.post_author, world.captions, strict=True)
    ]
    return post_table(rows[:n_posts])  # ids -1: blanked, the post tower sees content only


def clustered(n: int, d: int = 64, centres: int = 1_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(centres, d)).astype(np.float32)
    out = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        out[start : start + size] = means[rng.integers(0, centres, size)] + 0.5 * rng.normal(size=(size, d))
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def timed_search(index: PostIndex, queries: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    faiss.omp_set_num_threads(1)
    found = np.empty((len(queries), k), dtype=np.int64)
    started = time.perf_counter()
    for i, query in enumerate(queries):
        found[i] = index.search(query[None, :], k)[0][0]
    return found, (time.perf_counter() - started) * 1000 / len(queries)


def recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)]))


def sweep(name: str, vectors: np.ndarray, queries: np.ndarray) -> list[dict[str, Any]]:
    ids = np.arange(len(vectors), dtype=np.int64)
    faiss.omp_set_num_threads(2)
    exact = PostIndex.build(ids, vectors, IndexConfig(exact_below=len(vectors) + 1))
    rows, truth = [], {}
    for k in (100, 500):
        truth[k], ms = timed_search(exact, queries, k)
        rows.append(
            {
                "data": name,
                "index": "exact (reference)",
                "param": "-",
                "k": k,
                "recall@100": 1.0,
                "recall@k": 1.0,
                "ms/query": ms,
                "x exact": 1.0,
                "build s": 0.0,
            }
        )
    reference = {row["k"]: row["ms/query"] for row in rows}
    for label, config, knob, values in candidates(len(vectors)):
        faiss.omp_set_num_threads(2)
        started = time.perf_counter()
        index = PostIndex.build(ids, vectors, config)
        built = time.perf_counter() - started
        for value in values:
            index.tune(**{knob: value})
            for k in (100, 500):
                found, ms = timed_search(index, queries, k)
                rows.append(
                    {
                        "data": name,
                        "index": label,
                        "param": f"{knob}={value}",
                        "k": k,
                        "recall@100": recall(found, truth[100], 100),
                        "recall@k": recall(found, truth[k], k),
                        "ms/query": ms,
                        "x exact": reference[k] / ms,
                        "build s": built,
                    }
                )
    return rows


def candidates(n: int) -> list[tuple[str, IndexConfig, str, tuple[int, ...]]]:
    """HNSW and IVF with about 4·sqrt(n) lists; at 1M a lighter HNSW (M=16, efC=40) keeps the build minutes."""
    lists = int(4 * np.sqrt(n))
    m, ef_construction = (16, 40) if n >= 500_000 else (32, 80)
    hnsw = IndexConfig(exact_below=0, kind="hnsw", hnsw_m=m, ef_construction=ef_construction)
    return [
        (f"HNSW{m} efC={ef_construction}", hnsw, "ef_search", HNSW_EF),
        (f"IVF{lists},Flat", IndexConfig(exact_below=0, kind="ivf", ivf_lists=lists), "nprobe", IVF_PROBES),
    ]


def table(rows: list[dict[str, Any]]) -> Table:
    out = Table(title="PostIndex: recall against latency (1 thread, one query at a time)")
    for column in rows[0]:
        out.add_column(column, justify="left" if column in ("data", "index", "param") else "right")
    for row in rows:
        out.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n_posts, n_synthetic = (50_000, 100_000) if args.quick else (200_000, 1_000_000)
    posts, user_queries, info = two_tower_vectors(n_posts, args.quick)
    rows = sweep(f"two-tower {len(posts) // 1000}k", posts, user_queries)
    synthetic = clustered(n_synthetic + QUERIES)
    rows += sweep(f"clustered {n_synthetic // 1000}k", synthetic[:n_synthetic], synthetic[n_synthetic:])
    Console(width=150).print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"two_tower_training": info, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
