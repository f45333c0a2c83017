"""Retrieval recall@100 / @500 of each candidate source on a simulated world.

    python benchmarks/retrieval.py [--quick] [--json OUT]

A world is seeded and simulated with the `oracle` feed policy (exposure by the hidden behaviour
model, in and out of network, so engagement reflects taste, not one policy's reach). At a cutoff two
days before the end, the two-tower model is trained on the engagement before it, the posts created by
then are indexed, feeds are filled by fan-out (fakeredis), and every source is asked for each user's
candidates as of the cutoff. Targets: posts the user liked/commented/saved in the two days after the
cutoff that already existed at the cutoff. Reference: `popular` (non-personalised).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import fakeredis
import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from candidates.fanout import FanoutConfig
from candidates.index import PostIndex
from candidates.sources.following import FollowingConfig, FollowingSource
from candidates.sources.fresh import FreshSource
from candidates.sources.popular import PopularSource
from candidates.sources.social_proof import SocialProofSource
from candidates.sources.two_tower import TwoTowerSource, TwoTowerSourceConfig
from candidates.two_tower.embed import embed_posts
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from candidates.two_tower.store import blank_unseen_ids
from candidates.two_tower.task import TaskConfig, TwoTowerTask
from candidates.two_tower.trainer import TrainConfig, fit
from features.catalogue import PostCatalogue
from social_core.db import make_engine
from social_core.migrate import upgrade
from training.datasets.engagement import load_engagement, time_split
from training.evaluation.retrieval import fill_feeds, future_targets, source_recall
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import DAY, WorldConfig

HORIZON = 2 * DAY


def train_until(engine: Any, cutoff: float) -> tuple[TwoTower, PostIndex]:
    data = load_engagement(engine, history=20)
    before = data.examples.subset(data.examples.timestamps <= cutoff)
    train, validation, _ = time_split(before, 1e-3, 0.1)
    torch.manual_seed(0)
    model = TwoTower.build(TwoTowerConfig(history=20))
    fit(
        TwoTowerTask(model, TaskConfig(id_dropout=0.3)),
        data.table,
        train,
        validation,
        TrainConfig(epochs=10, batch_size=256, patience=2),
    )
    live = data.post_created <= cutoff
    table = blank_unseen_ids(data.table, train.post_rows)
    vectors = embed_posts(model, table)
    return model, PostIndex.build(data.table.post_ids[live], vectors[live])


def run(quick: bool) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    users, sessions = (1_000, 15_000) if quick else (3_000, 60_000)
    world = WorldConfig(users=users, days=14, seed=2)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
        upgrade(engine)
        seed_world(engine, home, world)
        run_sessions(engine, home, SessionConfig(sessions=sessions, policy="oracle", oracle_sessions=0))
        cutoff = world.start.timestamp() + (world.days * DAY - HORIZON)
        model, index = train_until(engine, cutoff)
        redis = fakeredis.FakeRedis()
        config = FanoutConfig(celebrity_threshold=max(50, users // 10))
        fill_feeds(redis, engine, cutoff - 7 * DAY, cutoff, config)
        targets = future_targets(engine, cutoff, HORIZON)
        chosen = sorted(targets)[:: max(1, len(targets) // (150 if quick else 400))]
        sources = [
            FollowingSource(redis, engine, FollowingConfig(fanout=config)),
            TwoTowerSource(model, index, engine, PostCatalogue(engine), TwoTowerSourceConfig(out_of_network=False)),
            PopularSource(engine),
            SocialProofSource(engine),
            FreshSource(engine),
        ]
        recall = source_recall(sources, {u: targets[u] for u in chosen}, cutoff)
        engine.dispose()
    info = {
        "users": users,
        "sessions": sessions,
        "evaluated_users": len(chosen),
        "mean_targets": float(np.mean([len(targets[u]) for u in chosen])),
    }
    return recall, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    recall, info = run(args.quick)
    info["seconds"] = time.perf_counter() - started
    out = Table(title=f"retrieval recall per source ({info['evaluated_users']} users, {info['users']}-user world)")
    for column in ("source", "recall@100", "recall@500"):
        out.add_column(column, justify="left" if column == "source" else "right")
    for name, values in recall.items():
        out.add_row(name, *(f"{values.get(k, values.get('all', 0.0)):.3f}" for k in ("100", "500")))
    Console().print(out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"info": info, "recall": recall}, indent=2) + "\n")


if __name__ == "__main__":
    main()
