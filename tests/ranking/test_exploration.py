"""The exploration stage: off, it keeps the ranked order; on, the first slots are a draw from the ranked head,
recorded with exact propensities that the impressions log and the off-policy loader reads back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from features.schema import service_columns
from ranking import exploration_math
from ranking.frame import Frame
from ranking.selectors.exploration import Exploration, ExplorationConfig, Explored, standardised
from tests.ranking.conftest import cand, context_for, feature_row, frame_of

COLUMNS = tuple(service_columns("ranker_v1"))


def ranked(n: int = 30) -> Frame:
    """n candidates by n authors, best first (the order the selectors before exploration leave)."""
    rows = [cand(100 + i, 500 + i, score=1.0 - i / n, features=feature_row({"post_age_hours": i})) for i in range(n)]
    return frame_of(rows)


def test_off_it_keeps_the_ranked_order_and_records_nothing() -> None:
    context = context_for()
    order = Exploration(ExplorationConfig(rate=0.0))(context, ranked())
    assert order.tolist() == list(range(30)) and context.explored is None


def test_on_the_first_slots_are_drawn_from_the_pool_and_the_rest_keep_their_order() -> None:
    context = context_for()
    config = ExplorationConfig(rate=1.0, temperature=1.0, slots=10, pool=20, seed=3)
    order = Exploration(config)(context, ranked())
    assert sorted(order.tolist()) == list(range(30))
    assert set(order[:10].tolist()) <= set(range(20))
    rest = order[10:].tolist()
    assert rest == sorted(rest) and rest[-10:] == list(range(20, 30))  # nothing beyond the pool is promoted
    explored = context.explored
    assert explored is not None
    assert explored.marginals.shape == (10, 10) and explored.shown.tolist() == order[:10].tolist()
    # The shown items' rows of the whole pool's marginals: each row is what that item is weighed by.
    pool = exploration_math.marginals(standardised(ranked().score[:20]) / config.temperature, 10)
    np.testing.assert_allclose(explored.marginals, pool[explored.shown], atol=1e-12)
    assert explored.features.shape == (20, len(COLUMNS))


def test_a_seed_makes_the_draw_reproducible_per_viewer_and_time() -> None:
    config = ExplorationConfig(rate=1.0, seed=1)
    draws = [Exploration(config)(context_for(), ranked()).tolist() for _ in range(2)]
    assert draws[0] == draws[1]


def test_a_low_temperature_stays_close_to_the_ranked_order() -> None:
    cold = ExplorationConfig(rate=1.0, temperature=0.05, seed=0)
    assert Exploration(cold)(context_for(), ranked())[:10].tolist() == list(range(10))


def test_the_rate_is_the_share_of_requests_explored() -> None:
    stage = Exploration(ExplorationConfig(rate=0.25))
    explored = 0
    for _ in range(400):
        context = context_for()
        stage(context, ranked(12))
        explored += context.explored is not None
    assert 60 <= explored <= 140


def test_impressions_log_the_propensity_and_the_first_the_whole_draw() -> None:
    context = context_for()
    Exploration(ExplorationConfig(rate=1.0, seed=5))(context, ranked())
    explored = context.explored
    assert explored is not None
    first_post = int(explored.post_ids[explored.shown[0]])
    first = json.loads(json.dumps(explored.payload(first_post, 0)))  # as the outbox stores it
    assert first["explored"] is True
    assert first["propensity"] == pytest.approx(explored.marginals[0, 0])
    again = Explored.from_payload(first["exploration"], COLUMNS)
    assert again is not None
    np.testing.assert_array_equal(again.post_ids, explored.post_ids)
    np.testing.assert_array_equal(again.shown, explored.shown)
    np.testing.assert_array_equal(again.marginals, explored.marginals)
    np.testing.assert_array_equal(again.features, explored.features)
    np.testing.assert_array_equal(again.author_ids, explored.author_ids)
    assert explored.author_ids.tolist() == list(range(500, 520))  # the pool's authors, for the offline replay
    third_post = int(explored.post_ids[explored.shown[2]])
    assert set(explored.payload(third_post, 2)) == {"explored", "propensity"}
    assert explored.payload(third_post, 12) == {}  # beyond the drawn slots
    assert Explored.from_payload(first["exploration"], COLUMNS[:-1]) is None  # logged under other columns
    older = {key: value for key, value in first["exploration"].items() if key != "authors"}
    assert Explored.from_payload(older, COLUMNS) is None  # an older form, without the authors


def test_bad_settings_are_refused() -> None:
    for bad in ({"rate": 1.5}, {"temperature": 0.0}, {"slots": 0}, {"slots": 10, "pool": 5}):
        with pytest.raises(ValueError):
            ExplorationConfig(**bad)  # type: ignore[arg-type]
