"""The image encoder job on a small world with pictures: distilled, registered behind its gate, every
picture embedded; a two-tower reading them; and a brand-new post, whose caption says nothing of its
topic, found by the users of its topic through its picture alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pytest
import torch
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from candidates.images.encoder import ImageEncoderConfig, load_encoder
from candidates.images.media import ImageEmbedder
from candidates.two_tower.embed import embed_new_posts, embed_users
from candidates.two_tower.posts import post_rows
from candidates.two_tower.runtime import PostIndexer, TwoTowerRuntime
from social_core.db import make_engine
from social_core.media import LocalStore
from social_core.migrate import upgrade
from social_core.models import Event, Media, User
from social_core.posts import NewPost, create_post
from social_core.relay import Relay
from social_core.uploads import UploadLimits, upload
from training.datasets.engagement import load_engagement
from training.image_encoder import ImageEncoderJobConfig
from training.image_encoder import main as train_encoder
from training.registry import CHAMPION, IMAGE_ENCODER
from training.simulation.images import ImageConfig, render
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.truth import load_truth
from training.simulation.world import WorldConfig
from training.two_tower import TwoTowerJobConfig
from training.two_tower import main as train_two_tower

WORLD = WorldConfig(users=400, days=8, seed=5, topics=4, celebrities=2, mean_following=12, caption_topic_share=0.0)


@pytest.mark.slow  # a world with pictures, three trainings and an MLflow store
def test_distilled_pictures_bring_a_new_post_to_its_topic(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    url = f"sqlite:///{tmp_path / 'pixelrank.db'}"
    engine = make_engine(url)
    upgrade(engine)
    store = LocalStore(tmp_path / "media", fsync=False)
    seed_world(engine, tmp_path, WORLD, images=ImageConfig(store=store, per_topic=8, avif=False))
    run_sessions(engine, tmp_path, SessionConfig(sessions=5_000, policy="oracle", oracle_sessions=0))
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    base = TwoTowerJobConfig(home=tmp_path, database_url=url, tracking_uri=tracking, version="a", images=False)
    base = replace(base, register=False)
    train_two_tower(base)

    job = ImageEncoderJobConfig(home=tmp_path, database_url=url, store=store, tracking_uri=tracking, version="e1")
    first = train_encoder(job)
    assert first.decision is not None and first.decision.alias == CHAMPION
    with engine.connect() as conn:
        models = conn.execute(select(Media.embedding_model, func.count()).group_by(Media.embedding_model)).all()
    assert first.embedded > 0 and models == [("cnn:e1", first.embedded)]  # every picture, one version
    run = mlflow.MlflowClient(tracking).get_run(first.run_id)
    assert {"holdout_cosine", "baseline_cosine", "loss", "val_cosine"} <= set(run.data.metrics)
    again = train_encoder(replace(job, version="e2"))  # the same training: no better on the same holdout
    assert again.decision is not None and again.decision.alias != CHAMPION and again.embedded == 0
    assert str(mlflow.MlflowClient(tracking).get_model_version_by_alias(IMAGE_ENCODER, CHAMPION).version) == "1"

    with_images = train_two_tower(replace(base, version="b", images=True))
    runtime = TwoTowerRuntime.load(with_images.folder)
    assert (runtime.model.config.image_model, runtime.model.config.image_dim) == ("cnn:e1", 64)

    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as session:
        session.execute(update(Event).values(processed_at=Event.created_at))
        session.commit()
    truth = load_truth(tmp_path)
    top = truth.interests.argmax(axis=1)
    rng = np.random.default_rng(1)
    new: dict[int, int] = {}
    with sessions() as session:
        for topic in range(WORLD.topics):
            author = session.get(User, int(truth.user_ids[np.flatnonzero(top == topic)[0]]))
            assert author is not None
            picture = render(rng, topic / WORLD.topics)
            media = upload(session, store, author, picture, UploadLimits(avif=False))
            new[create_post(session, author, NewPost("Loving this #photooftheday", [media.id])).id] = topic
    encoder = load_encoder(ImageEncoderConfig(type="cnn", path=first.folder))
    Relay(sessions, [ImageEmbedder(lambda: encoder, store), PostIndexer(lambda: runtime, save=False)]).drain()
    assert runtime.index.newest_id() == max(new)  # indexed by the relay, as in production

    data = load_engagement(engine, 20)
    with engine.connect() as conn:
        rows = post_rows(conn, list(new), runtime.model.config.image_model)
    engine.dispose()
    assert all(row["image"] is not None for row in rows)
    last = np.r_[data.examples.user_ids[1:] != data.examples.user_ids[:-1], True]
    users, history = data.examples.user_ids[last], data.examples.history[last]
    row_of = {int(u): i for i, u in enumerate(truth.user_ids.tolist())}
    user_topics = np.array([top[row_of[int(u)]] for u in users])
    vectors = embed_users(runtime.model, users, history, None)
    _, scores = runtime.index.search(vectors, len(runtime.index))  # every post, best first

    def median_rank(posts: np.ndarray) -> float:
        """Where the new posts rank for the users of their topic, as a share of the index (0 = first)."""
        ranks = [
            float(np.mean(scores[u] > vectors[u] @ posts[i]))
            for i, topic in enumerate(new.values())
            for u in np.flatnonzero(user_topics == topic)
        ]
        return float(np.median(ranks))

    seen = median_rank(embed_new_posts(runtime.model, rows))
    blind = median_rank(embed_new_posts(runtime.model, [row | {"image": None} for row in rows]))
    # The same posts, captions and authors: their pictures bring them up for the users of their topic.
    assert seen < blind, (seen, blind)
