"""Cold start: do image embeddings bring brand-new posts to the users of their topic?

    python benchmarks/cold_start.py [--quick] [--json OUT]

A world is seeded with pictures (`training/simulation/images.py`: most in their topic's palette) and
simulated sessions. Two two-tower versions are trained on the same engagement: the reference reads no
pixels, the other reads each post's image embedding, made by the image encoder distilled from the
reference's post space (`training/image_encoder.py`). Then new posts are uploaded through the app,
each with a picture rendered afresh (never seen in training) and a caption that names its topic for
`caption_topic_share` of them, half by authors whose top topic it is and half as new accounts' first
posts, and go through the relay as in production: the image embedder, then each version's indexer.

Measured: recall@100 / @500 of those zero-interaction posts for users whose strongest hidden interest
is the post's topic (the share of their topic's new posts in their top-K over the whole index), with
and without images, for all new posts (`recall_at_100_ratio`) and for each half; the signal in the
pixels (a linear probe predicting the topic from an 8×8 colour thumbnail, and from the image embedding);
the encoder's cost per photo on one thread; and the relay's time from upload to indexed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path (benchmarks/features.py would shadow the package).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import torch  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sqlalchemy import select, update  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from candidates.images.encoder import ImageEncoderConfig, load_encoder  # noqa: E402
from candidates.images.media import ImageEmbedder  # noqa: E402
from candidates.images.pixels import square_pixels  # noqa: E402
from candidates.two_tower.embed import embed_users  # noqa: E402
from candidates.two_tower.runtime import PostIndexer, TwoTowerRuntime  # noqa: E402
from social_core import accounts  # noqa: E402
from social_core.db import make_engine  # noqa: E402
from social_core.media import LocalStore  # noqa: E402
from social_core.migrate import upgrade  # noqa: E402
from social_core.models import Event, Media, PostMedia, User  # noqa: E402
from social_core.posts import NewPost, create_post  # noqa: E402
from social_core.relay import Relay  # noqa: E402
from social_core.uploads import UploadLimits, upload, variant_key  # noqa: E402
from training.datasets.engagement import load_engagement  # noqa: E402
from training.image_encoder import ImageEncoderJobConfig  # noqa: E402
from training.image_encoder import main as train_encoder  # noqa: E402
from training.simulation.images import TOPIC_SIGNAL, ImageConfig, picture_hue, render  # noqa: E402
from training.simulation.seeding import seed_world  # noqa: E402
from training.simulation.sessions import SessionConfig, run_sessions  # noqa: E402
from training.simulation.truth import load_truth  # noqa: E402
from training.simulation.vocabulary import captions  # noqa: E402
from training.simulation.world import WorldConfig  # noqa: E402
from training.two_tower import TwoTowerJobConfig  # noqa: E402
from training.two_tower import main as train_two_tower  # noqa: E402

KS = (100, 500)
SCENARIOS = ("existing authors", "new accounts")
LIMITS = UploadLimits(avif=False)


def run(quick: bool, caption_topic_share: float) -> dict[str, Any]:
    users, sessions, per_topic, new_per_topic = (600, 8_000, 6, 6) if quick else (2_000, 30_000, 10, 10)
    world = WorldConfig(users=users, days=10, seed=3, caption_topic_share=caption_topic_share)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        url = f"sqlite:///{home / 'pixelrank.db'}"
        engine = make_engine(url)
        upgrade(engine)
        store = LocalStore(home / "media", fsync=False)
        seed_world(engine, home, world, images=ImageConfig(store=store, per_topic=per_topic, avif=False))
        run_sessions(engine, home, SessionConfig(sessions=sessions, policy="oracle", oracle_sessions=0))
        jobs = {"tracking_uri": f"sqlite:///{home / 'mlflow.db'}", "register": False}
        base = TwoTowerJobConfig(home=home, database_url=url, version="reference", images=False, **jobs)
        reference = train_two_tower(base)
        encoder_job = ImageEncoderJobConfig(
            home=home, database_url=url, store=store, two_tower=reference.folder, version="e1", **jobs
        )
        distilled = train_encoder(encoder_job)
        with_images = train_two_tower(replace(base, version="with_images", images=True))
        runtimes = {
            name: TwoTowerRuntime.load(result.folder)
            for name, result in (("without images", reference), ("with images", with_images))
        }

        encoder = load_encoder(ImageEncoderConfig(type="cnn", path=distilled.folder))
        truth = load_truth(home)
        sessions_factory = sessionmaker(engine, expire_on_commit=False)
        with sessions_factory() as session:  # the world's own events are done; only the new posts' go through the relay
            session.execute(update(Event).values(processed_at=Event.created_at))
            session.commit()
        groups = upload_new_posts(sessions_factory, store, truth, world, new_per_topic)
        groups = {"all new posts": {p: t for group in groups.values() for p, t in group.items()}} | groups
        new_posts = groups["all new posts"]
        handlers = [ImageEmbedder(lambda: encoder, store)] + [
            PostIndexer(lambda r=r: r, save=False) for r in runtimes.values()
        ]
        started = time.perf_counter()
        processed = Relay(sessions_factory, handlers, batch_size=50).drain()
        relay_s = time.perf_counter() - started

        data = load_engagement(engine, 20)
        recall = {
            group: {name: cold_recall(runtime, data, truth, posts) for name, runtime in runtimes.items()}
            for group, posts in groups.items()
        }
        probes = {"pixels": probe_accuracy(world, thumbnail), "encoder": probe_accuracy(world, encoder.encode)}
        cost = encode_ms(encoder, store, sessions_factory, new_posts)
        engine.dispose()
    ratios = {group: ratio(values) for group, values in recall.items()}
    return {
        "caption_topic_share": caption_topic_share,
        "users": users,
        "sessions": sessions,
        "new_posts": len(new_posts),
        "recall": {
            group: {name: {str(k): v for k, v in values.items()} for name, values in by_model.items()}
            for group, by_model in recall.items()
        },
        "recall_at_100_ratios": ratios,
        "recall_at_100_ratio": ratios["all new posts"],
        "encoder_holdout_cosine": distilled.holdout_cosine,
        "encoder_baseline_cosine": distilled.baseline_cosine,
        "probe_accuracy": probes,
        "probe_chance": 1.0 / world.topics,
        "encode_ms_per_photo": cost,
        "relay_ms_per_new_post": 1000.0 * relay_s / max(len(new_posts), 1),
        "relay_events": processed,
    }


def ratio(recall: dict[str, dict[int, float]]) -> float:
    """Recall@100 with images over without (Infinity in the JSON when none was found without)."""
    without = recall["without images"][100]
    return recall["with images"][100] / without if without > 0 else float("inf")


def upload_new_posts(
    sessions: sessionmaker[Any], store: LocalStore, truth: Any, world: WorldConfig, per_topic: int
) -> dict[str, dict[int, int]]:
    """`per_topic` new posts per topic, each uploaded with a fresh picture: half by a user whose top topic
    it is (their account tells the topic already), half by a new account's first post (nothing does but
    the caption and the picture). Scenario → post id → topic."""
    rng = np.random.default_rng(99)
    top = truth.interests.argmax(axis=1)
    topics = np.repeat(np.arange(world.topics), per_topic)
    texts = captions(rng, topics, world.topics, world.caption_topic_share, world.seed + 1)
    made: dict[str, dict[int, int]] = {scenario: {} for scenario in SCENARIOS}
    with sessions() as session:
        for i, (topic, caption) in enumerate(zip(topics.tolist(), texts, strict=True)):
            if i % 2:
                author = accounts.signup(session, f"newcomer{i}", f"newcomer{i}@example.com", "password123")
            else:
                author = session.get(User, int(truth.user_ids[int(rng.choice(np.flatnonzero(top == topic)))]))
            picture = render(rng, picture_hue(rng, topic, world.topics, TOPIC_SIGNAL))
            media = upload(session, store, author, picture, LIMITS)
            post = create_post(session, author, NewPost(caption=caption, media_ids=[media.id]))
            made[SCENARIOS[i % 2]][post.id] = topic
    return made


def cold_recall(runtime: TwoTowerRuntime, data: Any, truth: Any, new_posts: dict[int, int]) -> dict[int, float]:
    """Mean over users with engagement of: the share of their top topic's new posts in their top-K."""
    examples = data.examples
    last = np.r_[examples.user_ids[1:] != examples.user_ids[:-1], True]  # each user's latest example
    user_ids = examples.user_ids[last]
    history = np.concatenate(
        [data.table.post_ids[examples.post_rows[last]][:, None], examples.history[last][:, :-1]], axis=1
    )
    row_of = {int(u): i for i, u in enumerate(truth.user_ids.tolist())}
    topics = np.array([int(truth.interests[row_of[int(u)]].argmax()) for u in user_ids])
    vectors = embed_users(runtime.model, user_ids, history, None)
    found, _ = runtime.index.search(vectors, max(KS))
    posts_of = {t: {p for p, pt in new_posts.items() if pt == t} for t in set(new_posts.values())}
    recall: dict[int, float] = {}
    for k in KS:
        shares = [
            len(posts_of[t] & set(row[:k].tolist())) / len(posts_of[t])
            for t, row in zip(topics, found, strict=True)
            if t in posts_of
        ]
        recall[k] = float(np.mean(shares)) if shares else 0.0
    return recall


def probe_accuracy(world: WorldConfig, features: Callable[[list[bytes]], np.ndarray]) -> float:
    """A linear probe from `features` of a picture to its topic: pictures drawn as the world draws them
    (a share in another topic's hue), at the size the encoder reads; trained on 1,500, tested on 500."""
    rng = np.random.default_rng(7)
    labels = rng.integers(0, world.topics, 2_000)
    hues = [picture_hue(rng, t, world.topics, TOPIC_SIGNAL) for t in labels.tolist()]
    x = features([render(rng, hue, (256, 320)) for hue in hues])
    probe = LogisticRegression(max_iter=3000).fit(x[:1_500], labels[:1_500])
    return float((probe.predict(x[1_500:]) == labels[1_500:]).mean())


def thumbnail(pictures: list[bytes]) -> np.ndarray:
    return np.stack([square_pixels(p, 8).ravel() for p in pictures])


def encode_ms(encoder: Any, store: LocalStore, sessions: sessionmaker[Any], new_posts: dict[int, int]) -> float:
    """Median milliseconds to embed one stored 256 px picture on one thread, decoding included."""
    with sessions() as session:
        query = (
            select(Media).join(PostMedia, PostMedia.media_id == Media.id).where(PostMedia.post_id.in_(list(new_posts)))
        )
        pictures = [store.get(variant_key(media, "small", "jpeg")) for media in session.scalars(query.limit(50))]
    times = []
    for picture in pictures:
        started = time.perf_counter()
        encoder.encode([picture])
        times.append(1000.0 * (time.perf_counter() - started))
    return statistics.median(times) if times else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller world (about a minute)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.perf_counter()
    runs = [run(args.quick, share) for share in ((0.3,) if args.quick else (0.3, 1.0))]
    table = Table(title="cold start: new posts with zero interactions, users of their topic")
    for column in ("captions naming the topic", "new posts by", "two-tower", "recall@100", "recall@500", "ratio @100"):
        table.add_column(column, justify="right")
    for result in runs:
        for group, by_model in result["recall"].items():
            for name, values in by_model.items():
                shown = f"{result['recall_at_100_ratios'][group]:.2f}×" if name == "with images" else ""
                share = f"{result['caption_topic_share']:.0%}"
                table.add_row(share, group, name, f"{values['100']:.3f}", f"{values['500']:.3f}", shown)
    console = Console(width=130)
    console.print(table)
    first = runs[0]
    console.print(
        f"linear probe of the topic (chance {first['probe_chance']:.1%}): from an 8×8 colour thumbnail "
        f"{first['probe_accuracy']['pixels']:.1%}, from the image embedding {first['probe_accuracy']['encoder']:.1%}; "
        f"encoder holdout cosine {first['encoder_holdout_cosine']:.3f} "
        f"(mean-target baseline {first['encoder_baseline_cosine']:.3f}); "
        f"encode {first['encode_ms_per_photo']:.2f} ms/photo on one thread (target ≤ 10); "
        f"relay upload → indexed {first['relay_ms_per_new_post']:.1f} ms per new post"
    )
    out = {"runs": runs, "recall_at_100_ratio": first["recall_at_100_ratio"], "seconds": time.perf_counter() - started}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
