from __future__ import annotations

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from social_core import migrate
from social_core.db import make_sessionmaker
from social_core.models import Event
from tests.serving.conftest import Api

URL = "/v1/me/ranking"


def test_signed_out_callers_get_401(client: TestClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.put(URL, json={"friends": 1.5}).status_code == 401


def test_defaults_until_set(api: Api) -> None:
    api.signup("alice")
    prefs = api.as_("alice").get(URL).json()
    assert (prefs["friends"], prefs["popular"], prefs["fresh"], prefs["weights"]) == (1.0, 1.0, 1.0, {})
    assert prefs["updated_at"] is None
    assert prefs["defaults"]["save"] == 6.0 and prefs["defaults"]["hide"] == -20.0


def test_put_stores_per_user_and_get_reads_it_back(api: Api, engine: Engine) -> None:
    api.signup("alice")
    api.signup("bob")
    body = {"friends": 2.0, "popular": 0.25, "fresh": 0, "weights": {"save": 10.0, "hide": -40.0}}
    put = api.as_("alice").put(URL, json=body)
    assert put.status_code == 200, put.text
    got = api.as_("alice").get(URL).json()
    assert got == put.json()
    assert (got["friends"], got["popular"], got["fresh"], got["weights"]) == (2.0, 0.25, 0.0, body["weights"])
    assert got["updated_at"] is not None
    assert api.as_("bob").get(URL).json()["friends"] == 1.0  # one user's tuning is theirs only
    with make_sessionmaker(engine)() as session:
        events = list(session.scalars(select(Event).where(Event.type == "ranking_preferences")))
    assert [(e.actor_id, e.payload["popular"], e.payload["weights"]) for e in events] == [
        (int(api.client.get("/v1/users/alice").json()["id"]), 0.25, body["weights"])
    ]


def test_put_replaces_the_whole_set_and_empty_resets(api: Api) -> None:
    api.signup("alice")
    me = api.as_("alice")
    me.put(URL, json={"friends": 2.0, "weights": {"like": 3.0}})
    assert me.put(URL, json={"popular": 0.5}).json() | {"updated_at": None, "defaults": {}} == {
        "friends": 1.0,
        "popular": 0.5,
        "fresh": 1.0,
        "weights": {},
        "updated_at": None,
        "defaults": {},
    }
    reset = me.put(URL, json={}).json()
    assert (reset["friends"], reset["popular"], reset["weights"]) == (1.0, 1.0, {})


def test_out_of_bounds_is_422_with_a_clear_message(api: Api) -> None:
    api.signup("alice")
    me = api.as_("alice")
    cases = {
        "less than or equal to 2": {"friends": 2.5},
        "greater than or equal to 0": {"popular": -0.1},
        "weight like=-1.0 must be zero or positive": {"weights": {"like": -1}},
        "weight hide=5.0 must be zero or negative": {"weights": {"hide": 5}},
        "weight save=1000.0 is outside [-100, 100]": {"weights": {"save": 1000}},
        "unknown value-model head(s): views": {"weights": {"views": 1}},
    }
    for message, body in cases.items():
        response = me.put(URL, json=body)
        assert response.status_code == 422, body
        assert message in str(response.json()["detail"]), response.text
    assert me.get(URL).json()["updated_at"] is None  # nothing was stored


def test_the_migration_downgrades_and_upgrades_again(engine: Engine) -> None:
    config = migrate.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert "ranking_preferences" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert "ranking_preferences" in inspect(engine).get_table_names()


def test_a_nan_in_the_body_is_a_422_not_a_500(api: Api) -> None:
    api.signup("alice")
    response = api.as_("alice").put(URL, content=b'{"friends": NaN}', headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "friends"]
