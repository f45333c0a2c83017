from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from sqlalchemy import select

from candidates.fanout import FanoutConfig, fan_out
from candidates.index import PostIndex
from candidates.sources.base import Source
from candidates.sources.following import FollowingSource
from candidates.sources.fresh import FreshSource
from candidates.sources.popular import PopularSource
from candidates.sources.social_proof import SocialProofSource
from candidates.sources.two_tower import TwoTowerSource
from candidates.two_tower.embed import embed_new_posts
from candidates.two_tower.inputs import Buckets
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from candidates.types import CandidateQuery, Proposals
from features.catalogue import PostCatalogue
from social_core.models import Follow, Post, User
from tests.candidates.conftest import SmallWorld, hours_ago, post_id


def ids(found: Proposals) -> list[int]:
    return [int(p) for p in found.post_id.tolist()]


def test_following_merges_the_feed_set_with_followed_celebrities(small_world: SmallWorld, redis: object) -> None:
    config = FanoutConfig(celebrity_threshold=10_000)
    for author, celebrity in ((2, False), (3, True), (6, False), (4, False)):
        followers = [1] if author in (2, 6) else [2]
        for n in (1, 2, 3):
            created = hours_ago(10 * n + author).timestamp()
            fan_out(redis, post_id(author, n), author, created, followers, celebrity, config)
    found = FollowingSource(redis, small_world.engine)(CandidateQuery(user_id=1, now_ts=small_world.now_ts))
    expected = {post_id(a, n) for a in (2, 3, 6) for n in (1, 2, 3)}
    assert set(ids(found)) == expected
    scores = found.score.tolist()
    assert scores == sorted(scores, reverse=True)  # newest first
    assert found.author_id[found.post_id == post_id(3, 1)].tolist() == [3]  # a celebrity's post: pulled, author known
    given = FollowingSource(redis, small_world.engine)(viewer_query(small_world, 1))
    assert ids(given) == ids(found) and given.author_id.tolist() == found.author_id.tolist()  # the followees given


def viewer_query(small_world: SmallWorld, user_id: int, **kw: object) -> CandidateQuery:
    """A query carrying the user's followees and their follower counts, as the ranking's viewer graph gives."""
    with small_world.engine.connect() as conn:
        rows = conn.execute(
            select(Follow.followee_id, User.followers_count)
            .join(User, User.id == Follow.followee_id)
            .where(Follow.follower_id == user_id)
        ).all()
    return CandidateQuery(user_id, now_ts=small_world.now_ts, followees={int(a): int(n) for a, n in rows}, **kw)  # type: ignore[arg-type]


def test_popular_ranks_by_decayed_engagement(small_world: SmallWorld) -> None:
    found = PopularSource(small_world.engine)(CandidateQuery(user_id=1, now_ts=small_world.now_ts))
    assert found.post_id[0] == post_id(4, 2)  # four recent likes
    assert found.score[0] > found.score[1]
    viewer_own = PopularSource(small_world.engine)(CandidateQuery(user_id=4, now_ts=small_world.now_ts))
    assert len(viewer_own) and (viewer_own.author_id != 4).all()


def test_social_proof_returns_posts_liked_by_followees(small_world: SmallWorld) -> None:
    found = SocialProofSource(small_world.engine)(CandidateQuery(user_id=1, now_ts=small_world.now_ts))
    assert ids(found)[0] == post_id(4, 2)  # liked by 2, 3 and 6, all followed
    assert post_id(4, 1) in ids(found) and post_id(5, 2) in ids(found)
    assert dict(zip(ids(found), found.score.tolist(), strict=True))[post_id(4, 1)] == 2


def test_fresh_returns_newest_posts_of_authors_the_user_engages_with(small_world: SmallWorld) -> None:
    found = FreshSource(small_world.engine)(CandidateQuery(user_id=1, now_ts=small_world.now_ts))
    authors = set(found.author_id.tolist())
    assert authors == {5, 6}  # likes on 5's posts, a save on 6's
    assert ids(found)[:2] == [post_id(5, 1), post_id(6, 1)]  # newest first (15 h and 16 h old)


def test_sources_do_not_see_the_future(small_world: SmallWorld) -> None:
    earlier = CandidateQuery(user_id=1, now_ts=hours_ago(30).timestamp())
    assert len(SocialProofSource(small_world.engine)(earlier)) == 0
    assert post_id(4, 2) not in PopularSource(small_world.engine)(earlier).post_id.tolist()


def test_two_tower_source_leaves_out_followed_authors_and_own_posts(small_world: SmallWorld) -> None:
    model = TwoTower.build(TwoTowerConfig(dim=8, embedding_dim=8, hidden=8, buckets=Buckets(64, 256, 64, 64)))
    posts = [{"id": post_id(a, n), "author_id": a, "caption": "hello"} for a in range(1, 7) for n in (1, 2, 3)]
    index = PostIndex.build(np.array([p["id"] for p in posts]), embed_new_posts(model, posts))
    query = CandidateQuery(user_id=1, now_ts=small_world.now_ts, limit=50)
    source = TwoTowerSource(model, index, small_world.engine, PostCatalogue(small_world.engine))
    found = source(query)
    assert set(found.author_id.tolist()) == {4, 5}
    assert (found.score <= 1.0 + 1e-5).all()
    assert ids(source(viewer_query(small_world, 1, limit=50))) == ids(found)  # the followees given


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_two_tower_source_reads_authors_a_chunk_at_a_time_and_keeps_the_best(
    small_world: SmallWorld, limit: int
) -> None:
    """It checks about `limit` found posts at a time: chunks past excluded authors still fill the answer,
    in the index's order, exactly as one check of everything found would."""
    torch.manual_seed(4)  # its first found posts are followed authors': later chunks fill the answer
    model = TwoTower.build(TwoTowerConfig(dim=8, embedding_dim=8, hidden=8, buckets=Buckets(64, 256, 64, 64)))
    posts = [{"id": post_id(a, n), "author_id": a, "caption": f"hello {a} {n}"} for a in range(1, 7) for n in (1, 2, 3)]
    index = PostIndex.build(np.array([p["id"] for p in posts]), embed_new_posts(model, posts))
    source = TwoTowerSource(model, index, small_world.engine, PostCatalogue(small_world.engine))
    searched, _ = index.search(source.user_embedding(1, small_world.now_ts), 2 * limit)  # overfetch 2
    with small_world.engine.connect() as conn:
        live = set(conn.scalars(select(Post.id).where(Post.created_at <= small_world.now, Post.deleted_at.is_(None))))
    strangers = [p for p in searched[0].tolist() if p in live and (p - 1000) // 10 in (4, 5)]  # post_id()
    found = source(CandidateQuery(user_id=1, now_ts=small_world.now_ts, limit=limit))
    assert ids(found) == strangers[:limit]


class Broken(Source):
    name = "broken"

    def fetch(self, query: CandidateQuery) -> Proposals:
        raise RuntimeError("index file missing")


def test_a_failing_source_logs_and_returns_nothing(caplog: pytest.LogCaptureFixture, small_world: SmallWorld) -> None:
    with caplog.at_level(logging.ERROR, logger="pixelrank.candidates"):
        found = Broken()(CandidateQuery(1, now_ts=small_world.now_ts))
    assert len(found) == 0 and "broken failed" in caplog.text


def test_a_source_whose_store_is_down_fails_open(small_world: SmallWorld) -> None:
    import redis as redis_lib

    down = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    assert len(FollowingSource(down, small_world.engine)(CandidateQuery(user_id=1))) == 0
