from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from serving.commands.seed import seed as seed_command
from serving.commands.simulate import simulate as simulate_command
from social_core.db import Base, make_engine
from social_core.ids import MAX_SEQUENCE, NODE_BITS, SEQUENCE_BITS, compose, time_of
from social_core.media import StoreConfig, make_store
from social_core.migrate import upgrade
from social_core.models import Comment, Event, Follow, Hide, Like, Media, Post, PostHashtag, PostMedia, Save, User
from training.simulation import behaviour
from training.simulation.behaviour import BehaviourConfig, Exposure
from training.simulation.errors import SimulationError
from training.simulation.images import ImageConfig
from training.simulation.index import load_index
from training.simulation.policies import POLICIES, PolicyContext
from training.simulation.seeding import SeedReport, seed_world
from training.simulation.sessions import SessionConfig, SessionReport, run_sessions
from training.simulation.truth import load_truth, truth_of, truth_path
from training.simulation.world import WorldConfig, generate_world

TINY = WorldConfig(users=300, days=7, seed=3, celebrities=3, mean_following=15)


def make_db(folder: Path) -> Engine:
    folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{folder / 'pixelrank.db'}")
    upgrade(engine)
    return engine


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeedReport]:
    home = tmp_path_factory.mktemp("seeded")
    engine = make_db(home)
    report = seed_world(engine, home, TINY)
    engine.dispose()
    return home, report


@pytest.fixture
def seeded(seeded_template: tuple[Path, SeedReport], tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A private copy of the seeded tiny world: its database and its truth file."""
    home = tmp_path / "home"
    shutil.copytree(seeded_template[0], home)
    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    yield engine, home
    engine.dispose()


def count(engine: Engine, model: type[Base], *where: ColumnElement[bool]) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def rows(result: object) -> set[tuple[object, ...]]:
    return {tuple(row) for row in result}  # type: ignore[attr-defined]


def sessions(engine: Engine, home: Path, n: int = 400, **kwargs: object) -> SessionReport:
    return run_sessions(engine, home, SessionConfig(sessions=n, **kwargs))  # type: ignore[arg-type]


# --- the world -------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_world_and_another_seed_another() -> None:
    a, b = generate_world(TINY), generate_world(TINY)
    other = generate_world(WorldConfig(**{**vars(TINY), "seed": 4}))
    for name in ("interests", "follow_src", "follow_dst", "post_ids", "post_topic", "post_quality", "user_created"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.captions == b.captions and a.usernames == b.usernames
    assert not np.array_equal(a.interests, other.interests)
    assert a.captions != other.captions


def test_world_has_celebrities_time_sorted_unique_post_ids_and_diurnal_posts() -> None:
    world = generate_world(WorldConfig(users=2_000, days=10, seed=0, celebrities=5))
    followers = np.bincount(world.follow_dst, minlength=world.n_users)
    assert followers[world.celebrity].min() > 10 * np.median(followers)
    assert len(np.unique(world.post_ids)) == world.n_posts and np.all(np.diff(world.post_ids) > 0)
    for i in (0, world.n_posts // 2, world.n_posts - 1):
        ms = round(world.post_at[i] * 1000)
        assert world.post_ids[i] == compose(ms, (i >> SEQUENCE_BITS) & ((1 << NODE_BITS) - 1), i & MAX_SEQUENCE)
        assert time_of(int(world.post_ids[i])) == datetime.fromtimestamp(world.post_at[i], UTC)
    hours = ((world.post_at - world.config.start.timestamp()) // 3600 % 24).astype(int)
    per_hour = np.bincount(hours, minlength=24)
    assert per_hour[20] > 3 * per_hour[3]  # evenings are busy, nights quiet
    np.testing.assert_allclose(world.interests.sum(axis=1), 1.0, rtol=1e-4)
    assert not set(zip(world.follow_src.tolist(), world.follow_dst.tolist(), strict=True)) & {
        (u, u) for u in range(world.n_users)
    }


# --- the hidden behaviour model ----------------------------------------------------------------------


def test_like_rate_per_impression_is_between_2_and_10_percent(seeded: tuple[Engine, Path]) -> None:
    report = sessions(*seeded, n=2_000, policy="chronological", oracle_sessions=0)
    assert report.impressions > 3_000
    assert 0.02 <= report.like_rate <= 0.10
    assert report.actions["hide"] < report.actions["like"]


def test_engagement_falls_with_position() -> None:
    world = generate_world(TINY)
    truth = truth_of(world, np.arange(1, world.n_users + 1))
    n = 10
    exposure = Exposure(
        users=np.zeros(n, dtype=int),
        posts=np.zeros(n, dtype=int),
        positions=np.arange(n),
        age_s=np.full(n, 3600.0),
        followed=np.ones(n, dtype=bool),
        interactions=np.zeros(n),
        hides=np.zeros(n),
    )
    probs = behaviour.probabilities(truth, exposure, BehaviourConfig())
    for name in behaviour.ENGAGEMENTS:
        assert np.all(np.diff(probs[name]) < 0), name
    reach = behaviour.reach(n, BehaviourConfig())
    assert reach[0] == 1.0 and np.all(np.diff(reach) < 0)


# --- the writer --------------------------------------------------------------------------------------


def test_seed_writes_the_world_with_its_events_and_counters(seeded: tuple[Engine, Path]) -> None:
    engine, home = seeded
    world = generate_world(TINY)
    assert count(engine, User) == world.n_users
    assert count(engine, Follow) == len(world.follow_src)
    assert count(engine, Post) == world.n_posts
    assert count(engine, PostHashtag) == sum(caption.count("#") for caption in world.captions)
    assert count(engine, Event, Event.type == "user_created") == world.n_users
    assert count(engine, Event, Event.type == "follow") == len(world.follow_src)
    assert count(engine, Event, Event.type == "post_created") == world.n_posts
    with engine.connect() as conn:
        follow_rows = rows(conn.execute(select(Follow.follower_id, Follow.followee_id, Follow.created_at)))
        follows = select(Event.actor_id, Event.target_id, Event.created_at).where(Event.type == "follow")
        follow_events = rows(conn.execute(follows))
        assert follow_rows == follow_events
        user_rows = rows(conn.execute(select(User.id, User.id, User.created_at)))
        created = select(Event.actor_id, Event.target_id, Event.created_at).where(Event.type == "user_created")
        assert user_rows == rows(conn.execute(created))
        posts = {row.id: row for row in conn.execute(select(Post))}
        for event in conn.execute(select(Event).where(Event.type == "post_created")):
            post = posts[event.post_id]
            assert (event.actor_id, event.created_at) == (post.author_id, post.created_at)
            assert event.payload["caption_length"] == len(post.caption) and event.payload["hashtags"]
        users = list(conn.execute(select(User.id, User.followers_count, User.following_count, User.posts_count)))
        followers = Counter(row.followee_id for row in conn.execute(select(Follow.followee_id)))
        following = Counter(row.follower_id for row in conn.execute(select(Follow.follower_id)))
        authored = Counter(row.author_id for row in conn.execute(select(Post.author_id)))
        event_times = [row.created_at for row in conn.execute(select(Event.created_at).order_by(Event.id))]
    for user in users:
        assert (user.followers_count, user.following_count, user.posts_count) == (
            followers[user.id],
            following[user.id],
            authored[user.id],
        )
    assert event_times == sorted(event_times)  # the outbox's id order is time order
    assert truth_path(home).exists()


def test_seed_with_images_gives_every_post_a_stored_image(tmp_path: Path) -> None:
    engine = make_db(tmp_path)
    store = make_store(StoreConfig(type="local", root=tmp_path / "media"))
    config = WorldConfig(users=30, days=2, seed=5, topics=2, celebrities=1)
    report = seed_world(engine, tmp_path, config, images=ImageConfig(store=store, per_topic=1))
    posts = report.rows["posts"]
    assert report.rows["media"] == report.rows["post_media"] == posts > 0
    assert count(engine, Event, Event.type == "media_uploaded") == posts
    with engine.connect() as conn:
        media = {row.id: row for row in conn.execute(select(Media))}
        linked = {post: m for post, m in conn.execute(select(PostMedia.post_id, PostMedia.media_id))}
        created = {row.post_id: row.payload for row in conn.execute(select(Event).where(Event.type == "post_created"))}
        post_times = {post: at for post, at in conn.execute(select(Post.id, Post.created_at))}
    assert len({row.original_key for row in media.values()}) == 2  # one image per topic, stored once
    for post_id, media_id in linked.items():
        assert created[post_id]["media_ids"] == [media_id]
        assert media[media_id].created_at < post_times[post_id] and media[media_id].variants
        assert store.exists(media[media_id].original_key)
    engine.dispose()


def test_seeding_the_same_world_twice_is_refused(seeded: tuple[Engine, Path]) -> None:
    with pytest.raises(SimulationError, match="already seeded"):
        seed_world(*seeded, TINY)


# --- sessions ----------------------------------------------------------------------------------------


def test_sessions_log_impressions_and_actions_with_rows_and_counters(seeded: tuple[Engine, Path]) -> None:
    engine, home = seeded
    report = sessions(engine, home, n=600, policy="chronological", oracle_sessions=50)
    assert report.impressions == count(engine, Event, Event.type == "impression") > 0
    for kind, model in (("like", Like), ("save", Save), ("hide", Hide), ("comment", Comment)):
        assert count(engine, Event, Event.type == kind) == count(engine, model) == report.actions[kind]
    assert count(engine, Event, Event.type == "share") == report.actions["share"]
    with engine.connect() as conn:
        created: dict[int, datetime] = {post: at for post, at in conn.execute(select(Post.id, Post.created_at))}
        impressions = list(
            conn.execute(select(Event.post_id, Event.created_at, Event.payload).where(Event.type == "impression"))
        )
        counters = list(conn.execute(select(Post.id, Post.like_count, Post.comment_count, Post.save_count)))
        likes = Counter(conn.scalars(select(Like.post_id)))
        saves = Counter(conn.scalars(select(Save.post_id)))
        comments = list(conn.execute(select(Comment.post_id, Comment.text)))
    by_request: dict[str, list[Any]] = {}
    for event in impressions:
        by_request.setdefault(event.payload["request_id"], []).append(event)
        assert set(event.payload) == {"request_id", "position", "policy", "model_version", "source", "dwell_ms"}
    for events in by_request.values():
        assert sorted(e.payload["position"] for e in events) == list(range(len(events)))
        session_start = min(e.created_at for e in events)
        assert all(e.post_id is not None and created[e.post_id] < session_start for e in events)
    comment_counts = Counter(post for post, _ in comments)
    assert all(text for _, text in comments)
    for post, like_count, comment_count, save_count in counters:
        assert (like_count, comment_count, save_count) == (likes[post], comment_counts[post], saves[post])


def test_a_second_run_continues_where_the_first_left_off(seeded: tuple[Engine, Path]) -> None:
    engine, home = seeded
    first = sessions(engine, home, n=300, policy="popular", oracle_sessions=0)
    second = sessions(engine, home, n=300, policy="popular", oracle_sessions=0)  # same users and times
    assert count(engine, Like) == first.actions["like"] + second.actions["like"]
    with engine.connect() as conn:
        seen = conn.execute(select(Event.actor_id, Event.post_id).where(Event.type == "impression"))
        pairs = Counter(tuple(row) for row in seen)
    assert max(pairs.values()) == 1  # the seen filter remembers the first run


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_policy_shows_only_posts_created_before_now(seeded: tuple[Engine, Path], policy: str) -> None:
    engine, home = seeded
    truth = load_truth(home)
    index = load_index(engine, truth, 3600.0)
    ranker = POLICIES[policy](PolicyContext(index, truth, BehaviourConfig(), 2 * 86_400.0))
    created = dict(zip(truth.post_ids.tolist(), truth.post_at.tolist(), strict=True))
    for day in (1.5, 3.2, 6.9):
        now = truth.start + day * 86_400.0
        index.popularity.advance(now)
        for user_id in truth.user_ids[:40].tolist():
            shown = ranker.rank(user_id, datetime.fromtimestamp(now, UTC), 10)
            assert len(shown) <= 10 and all(created[post] < now for post in shown)


def test_the_oracle_beats_chronological_on_the_same_sessions(
    seeded_template: tuple[Path, SeedReport], tmp_path: Path
) -> None:
    reports = {}
    for policy in ("chronological", "oracle"):
        home = tmp_path / policy
        shutil.copytree(seeded_template[0], home)
        engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
        reports[policy] = sessions(engine, home, n=800, policy=policy, oracle_sessions=200)
        engine.dispose()
    chronological, oracle = reports["chronological"], reports["oracle"]
    assert chronological.oracle_ratio is not None and chronological.oracle_ratio < 1.0
    assert oracle.oracle_ratio == pytest.approx(1.0)
    assert oracle.engagement_per_session > chronological.engagement_per_session


def test_the_model_policy_fails_until_a_model_is_registered(seeded: tuple[Engine, Path]) -> None:
    with pytest.raises(SimulationError, match="no trained model is registered yet"):
        sessions(*seeded, n=10, policy="model")


# --- the CLI -----------------------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False, rich_markup_mode=None)
    app.command("seed")(seed_command)
    app.command("simulate")(simulate_command)
    return app


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The commands read Settings: point PIXELRANK_HOME (and so the SQLite DB) at a fresh folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("PIXELRANK_HOME", str(home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return home


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seed", "--users", "0"], "--users and --days must be at least 1"),
        (["simulate", "--policy", "bogus"], "unknown policy 'bogus'"),
        (["simulate", "--policy", "model"], "no trained model is registered yet"),
        (["simulate", "--policy", "popular", "--explore", "0.5"], "--explore needs --policy model"),
        (["simulate", "--sessions", "5"], "run `pixelrank seed` first"),
    ],
)
def test_cli_errors_are_one_line_and_exit_non_zero(
    cli: typer.Typer, cli_home: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_cli_seeds_then_simulates(cli: typer.Typer, cli_home: Path) -> None:
    seeded = CliRunner().invoke(cli, ["seed", "--users", "60", "--days", "3", "--no-images"])
    assert seeded.exit_code == 0, seeded.output
    assert "follows" in seeded.stdout and "media" not in seeded.stdout
    simulated = CliRunner().invoke(cli, ["simulate", "--sessions", "50", "--policy", "oracle"])
    assert simulated.exit_code == 0, simulated.output
    assert "oracle" in simulated.stdout and "impressions" in simulated.stdout
