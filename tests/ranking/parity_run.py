"""Rank viewers of a seeded world with whichever `ranking` package is first on sys.path; print JSON.

Run by `test_parity.py` twice, once over the current tree and once over the previous version's,
both with the same database, the same stock sources, a deterministic feature reader and the
heuristic model, so any difference in what is served is the pipeline's.

    python parity_run.py DB_URL NOW_TS VIEWER [VIEWER ...]
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Sequence

import fakeredis
import numpy as np

from candidates.sources.following import FollowingSource
from candidates.sources.fresh import FreshSource
from candidates.sources.popular import PopularSource
from candidates.sources.social_proof import SocialProofSource
from features.schema import default, service_columns
from ranking import pipeline as pipelines
from ranking.scorers.registry import ScorerConfig
from social_core.db import make_engine

COLUMNS = service_columns("ranker_v1")


class Features:
    """Feature values that vary with the viewer, the post and the author, the same in every version."""

    columns = COLUMNS

    def __call__(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        posts, authors = np.asarray(post_ids, dtype=np.int64), np.asarray(author_ids, dtype=np.int64)
        matrix = np.tile([default(c) for c in COLUMNS], (len(posts), 1))
        matrix[:, COLUMNS.index("post_engagement_rate")] = (posts % 97) / 970.0
        matrix[:, COLUMNS.index("post_age_hours")] = (posts % 50) * 1.5
        matrix[:, COLUMNS.index("ua_interactions_28d")] = (authors * 7 + user_id) % 5
        return matrix


def embeddings(post_ids: Sequence[int]) -> np.ndarray:
    ids = np.asarray(post_ids, dtype=np.float64)
    return np.column_stack([np.sin(ids % 13), np.cos(ids % 7), np.sin(ids % 5)]).astype(np.float32)


def build(name: str, engine: object, redis: object) -> pipelines.Pipeline:
    sources = (
        [FollowingSource(redis, engine), FreshSource(engine), SocialProofSource(engine), PopularSource(engine)]
        if name == "feed"
        else [PopularSource(engine), SocialProofSource(engine)]
    )
    compose = pipelines.feed_pipeline if name == "feed" else pipelines.explore_pipeline
    config = pipelines.RankingConfig(scorer=ScorerConfig("heuristic"))
    args: list[object] = [sources, engine]
    if "catalogue" in inspect.signature(compose).parameters:  # the frame pipeline reads the post catalogue
        from features.catalogue import PostCatalogue

        args.append(PostCatalogue(engine))
    return compose(*args, Features(), embeddings=embeddings, config=config)  # type: ignore[arg-type]


def main(db_url: str, now_ts: float, viewers: list[int]) -> None:
    from ranking.types import RankingRequest

    engine = make_engine(db_url)
    redis = fakeredis.FakeRedis()
    built = {name: build(name, engine, redis) for name in ("feed", "explore")}
    out = {}
    for name, pipeline in built.items():
        for viewer in viewers:
            result = pipeline(RankingRequest(viewer, limit=100, now_ts=now_ts))
            items = [[i.post_id, i.author_id, round(i.score, 12), i.reason, list(i.sources)] for i in result.items]
            out[f"{name}:{viewer}"] = {"items": items, "degraded": list(result.served_by.degraded_reasons)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), [int(v) for v in sys.argv[3:]])
