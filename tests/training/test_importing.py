from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from serving.commands.importing import import_ as import_command
from social_core import migrate
from social_core.db import make_engine
from social_core.models import Event, Follow, Like, Post, PostHashtag, User
from training.evaluation.data import DatasetError
from training.importing import ImportRefused, ImportSummary, import_dataset, mapping_path
from training.importing.plan import username_for
from training.importing.sources import split_tags

T0 = 1_600_000_000  # 2020-09-13
TABLES = (User, Post, PostHashtag, Like, Follow, Event)

INTERACTIONS = """user_id,item_id,timestamp,rating
1,10,1600000100,5
1,20,1600000200,2
2,10,1600000300,4
2,10,1600000050,4.5
3,30,1600000400,3
1,10,1600000500,5
"""
FOLLOWS = "follower_id,followee_id\n1,2\n2,1\n3,99\n"
ITEMS = "item_id,title,tags\n10,Sunset,beach|golden hour\n20,Cat,cats pets\n30,Bridge,\n40,Unseen,art\n"


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def counts(engine: Engine) -> dict[str, int]:
    return {model.__tablename__: count(engine, model) for model in TABLES}


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def import_small(engine: Engine, tmp_path: Path, **kwargs: Any) -> ImportSummary:
    return import_dataset(
        engine,
        tmp_path / "home",
        write(tmp_path / "small.csv", INTERACTIONS),
        write(tmp_path / "follows.csv", FOLLOWS),
        write(tmp_path / "items.csv", ITEMS),
        **kwargs,
    )


# --- round trip ----------------------------------------------------------------------------


def test_round_trip_counts_rows_and_events(engine: Engine, tmp_path: Path) -> None:
    summary = import_small(engine, tmp_path)
    # users 1, 2, 3 and 99 (only in follows) + the catalogue; items 10-40 (40 never touched)
    assert (summary.dataset, summary.users, summary.posts, summary.follows) == ("small", 4, 4, 3)
    # likes: (1,10) at 100, (2,10) at 50; the rest (2, 4 → earliest kept, 3, 5 repeated) are views
    assert (summary.likes, summary.views) == (2, 4)
    assert summary.events == 5 + 4 + 3 + 6
    assert counts(engine) == {
        "users": 5,
        "posts": 4,
        "post_hashtags": 5,
        "likes": 2,
        "follows": 3,
        "events": summary.events,
    }
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(Event.type, func.count()).group_by(Event.type)).all())
    assert kinds == {"user_created": 5, "post_created": 4, "follow": 3, "like": 2, "view": 6 - 2}


def test_round_trip_times_counters_and_mapping(engine: Engine, tmp_path: Path) -> None:
    summary = import_small(engine, tmp_path)
    mapping = pd.read_parquet(summary.mapping_path).set_index(["kind", "external_id"])
    assert summary.mapping_path == mapping_path(tmp_path / "home", "small")
    user1, user2 = (int(mapping.loc[("user", key), "id"]) for key in ("1", "2"))
    sunset = int(mapping.loc[("item", "10"), "id"])
    assert mapping.loc[("user", "99"), "username"] == "u99"
    with engine.connect() as conn:
        likes = {(row.user_id, row.post_id): row.created_at for row in conn.execute(select(Like))}
        like_events = {
            (e.actor_id, e.post_id): e.created_at
            for e in conn.execute(select(Event.__table__).where(Event.type == "like"))
        }
        views = [
            e.payload["rating"]
            for e in conn.execute(select(Event.__table__).where(Event.type == "view").order_by(Event.id))
        ]
        post = conn.execute(select(Post).where(Post.id == sunset)).one()
        first_touch = conn.scalar(
            select(func.min(Event.created_at)).where(Event.post_id == sunset, Event.type != "post_created")
        )
        users = {u.username: u for u in conn.execute(select(User))}
        tags = set(conn.scalars(select(PostHashtag.tag).where(PostHashtag.post_id == sunset)))
        event_times = list(conn.scalars(select(Event.created_at).order_by(Event.id)))
    assert likes == like_events == {(user1, sunset): at(T0 + 100), (user2, sunset): at(T0 + 50)}
    assert sorted(views) == [2.0, 3.0, 4.0, 5.0]
    assert post.caption == "Sunset #beach #golden_hour" and tags == {"beach", "golden_hour"}
    assert post.like_count == 2 and post.created_at < first_touch == at(T0 + 50)
    assert users["catalog.small"].posts_count == 4
    assert (users["u1"].followers_count, users["u1"].following_count) == (1, 1)
    assert (users["u99"].followers_count, users["u3"].following_count) == (1, 1)
    assert event_times == sorted(event_times)  # the outbox reads in time order


def test_implicit_and_weighted_interactions(engine: Engine, tmp_path: Path) -> None:
    implicit = write(tmp_path / "clicks.csv", "user_id,item_id,timestamp\na,x,2021-01-01T00:00:00Z\na,x,2021-01-02\n")
    summary = import_dataset(engine, tmp_path / "home", implicit)
    assert (summary.users, summary.posts, summary.likes, summary.views) == (1, 1, 1, 1)
    weighted = write(tmp_path / "w.csv", "user_id,item_id,timestamp,weight\nb,x,1600000000,0\nc,x,1600000001,2.5\n")
    summary = import_dataset(engine, tmp_path / "home", weighted)
    assert (summary.likes, summary.views) == (1, 1)
    with engine.connect() as conn:
        payloads = [
            e.payload
            for e in conn.execute(select(Event.__table__).where(Event.type.in_(["like", "view"])).order_by(Event.id))
        ]
    assert payloads[-2:] == [{"weight": 0.0}, {"weight": 2.5}]


def test_movielens_ratings_with_movies_beside(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "ml-tiny"
    ratings = write(
        folder / "ratings.csv",
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964981247\n2,1,1.0,964982224\n",
    )
    write(
        folder / "movies.csv",
        "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Sci-Fi\n"
        '2,"Heat, The (1995)",(no genres listed)\n',
    )
    summary = import_dataset(engine, tmp_path / "home", ratings, fmt="movielens")
    assert (summary.dataset, summary.users, summary.posts, summary.likes, summary.views) == ("ml_tiny", 2, 2, 1, 2)
    with engine.connect() as conn:
        captions = set(conn.scalars(select(Post.caption)))
        events = conn.execute(select(Event.__table__).where(Event.type == "post_created")).all()
    assert captions == {"Toy Story (1995) #adventure #animation #sci_fi", "Heat, The (1995)"}
    assert sorted(e.payload["hashtags"] for e in events) == [[], ["adventure", "animation", "sci_fi"]]


def test_usernames_and_tags_are_sanitised_deterministically() -> None:
    assert username_for("42") == "u42"
    assert username_for("Bob") != username_for("bob") == "ubob"
    assert username_for("Bob") == username_for("Bob")
    long = username_for("x" * 40)
    assert len(long) == 30 and long.startswith("u" + "x" * 20 + ".")
    assert split_tags("Sci-Fi|Film-Noir|") == ["sci_fi", "film_noir"]
    assert split_tags("cats  pets cats") == ["cats", "pets"]
    assert split_tags("(no genres listed)", "movielens") == []


# --- refusals ------------------------------------------------------------------------------

BAD_INPUTS = {
    "missing column": ("user_id,timestamp\n1,1600000000\n", None),
    "bad timestamp": ("user_id,item_id,timestamp\n1,10,yesterday\n", None),
    "empty file": ("", None),
    "header only": ("user_id,item_id,timestamp\n", None),
    "milliseconds": ("user_id,item_id,timestamp\n1,10,1600000000000\n", None),
    "unknown item": ("user_id,item_id,timestamp\n1,10,1600000000\n1,77,1600000001\n", ITEMS),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_rejected_with_nothing_written(engine: Engine, tmp_path: Path, case: str) -> None:
    content, items = BAD_INPUTS[case]
    items_path = None if items is None else write(tmp_path / "items.csv", items)
    with pytest.raises(DatasetError) as error:
        import_dataset(engine, tmp_path / "home", write(tmp_path / "bad.csv", content), items_path=items_path)
    assert "\n" not in str(error.value)
    if case == "unknown item":
        assert "'77'" in str(error.value)
    assert set(counts(engine).values()) == {0}
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(
    "follows", ["follower_id\n1\n", "follower_id,followee_id\n1,1\n", "follower_id,followee_id\n1,\n"]
)
def test_bad_follows_are_rejected(engine: Engine, tmp_path: Path, follows: str) -> None:
    with pytest.raises(DatasetError):
        import_dataset(
            engine, tmp_path / "home", write(tmp_path / "i.csv", INTERACTIONS), write(tmp_path / "f.csv", follows)
        )
    assert set(counts(engine).values()) == {0}


def test_reimport_of_the_same_dataset_is_refused(engine: Engine, tmp_path: Path) -> None:
    import_small(engine, tmp_path)
    before = counts(engine)
    with pytest.raises(ImportRefused, match="already imported"):
        import_small(engine, tmp_path)
    assert counts(engine) == before
    # another dataset whose user ids clash with accounts already there is refused too
    with pytest.raises(ImportRefused, match="username 'u1'"):
        import_small(engine, tmp_path, name="other")
    assert counts(engine) == before


@pytest.mark.parametrize("stage", ["posts", "likes", "follows", "events"])
def test_failure_mid_import_leaves_nothing(engine: Engine, tmp_path: Path, stage: str) -> None:
    def explode(at_stage: str, done: int, total: int) -> None:
        if at_stage == stage:
            raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected"):
        import_small(engine, tmp_path, progress=explode)
    assert set(counts(engine).values()) == {0}
    assert not (tmp_path / "home" / "imports").exists()
    assert import_small(engine, tmp_path).users == 4  # and the database is still usable


# --- CLI -----------------------------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("import")(import_command)
    app.command("noop")(lambda: None)  # two commands: invoked by name, as under `pixelrank`
    return app


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIXELRANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    return tmp_path


def test_cli_imports_and_prints_a_summary(cli_env: Path) -> None:
    args = ["import", "--interactions", str(write(cli_env / "small.csv", INTERACTIONS))]
    args += ["--follows", str(write(cli_env / "f.csv", FOLLOWS)), "--items", str(write(cli_env / "i.csv", ITEMS))]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 0, result.output
    assert "imported small" in result.stdout and "events" in result.stdout
    assert (cli_env / "home" / "imports" / "small" / "mapping.parquet").is_file()
    engine = make_engine(f"sqlite:///{cli_env}/cli.db")
    migrate.upgrade(engine)  # a no-op: the command migrated first
    assert count(engine, User) == 5
    engine.dispose()
    again = CliRunner().invoke(cli(), args)
    assert again.exit_code == 2 and "already imported" in again.stderr


@pytest.mark.parametrize("content", ["", "user_id,timestamp\n1,5\n", "user_id,item_id,timestamp\n1,2,not-a-time\n"])
def test_cli_bad_input_exits_2_with_one_line(cli_env: Path, content: str) -> None:
    result = CliRunner().invoke(cli(), ["import", "--interactions", str(write(cli_env / "bad.csv", content))])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
