"""The value model's arithmetic, its bounds, and per-request weight overrides."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.value_model import ValueWeights, top_heads, value_scores, value_terms


def test_score_is_the_weighted_sum_of_head_probabilities() -> None:
    weights = ValueWeights(like=1.0, comment=4.0, save=6.0, share=8.0, hide=-20.0)
    predictions = {
        "like": np.array([0.5, 0.1]),
        "save": np.array([0.0, 0.2]),
        "hide": np.array([0.01, 0.05]),
    }
    np.testing.assert_allclose(value_scores(predictions, weights, 2), [0.5 - 0.2, 0.1 + 1.2 - 1.0])
    terms = value_terms(predictions, weights)
    assert set(terms) == {"like", "save", "hide"}  # heads not predicted add nothing
    np.testing.assert_allclose(terms["hide"], [-0.2, -1.0])


def test_no_heads_score_zero() -> None:
    np.testing.assert_array_equal(value_scores({}, ValueWeights(), 3), np.zeros(3))


def test_override_replaces_only_the_named_weights() -> None:
    base = ValueWeights()
    changed = base.override({"save": 10.0, "hide": -50.0})
    assert changed.save == 10.0 and changed.hide == -50.0
    assert changed.like == base.like and changed.comment == base.comment
    assert base.override(None) is base and base.override({}) is base
    predictions = {"like": np.array([0.3]), "save": np.array([0.1]), "hide": np.array([0.02])}
    assert value_scores(predictions, changed, 1)[0] == pytest.approx(0.3 * base.like + 1.0 - 1.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hide": 5.0}, "hide=5.0 must be zero or negative"),
        ({"like": -1.0}, "like=-1.0 must be zero or positive"),
        ({"save": 1e6}, "outside"),
        ({"save": float("nan")}, "outside"),
        ({"dwell": 1.0}, "unknown value-model head"),
    ],
)
def test_bad_overrides_are_rejected(overrides: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ValueWeights().override(overrides)


def test_settings_weights_are_checked_too() -> None:
    with pytest.raises(ValueError, match="hide"):
        ValueWeights(hide=1.0)


def test_the_top_head_is_the_largest_positive_term_else_like() -> None:
    terms = {
        "like": np.array([0.3, 0.0, 0.5, 0.0]),
        "save": np.array([0.9, 0.0, 0.5, 0.0]),
        "hide": np.array([-0.5, -1.0, 0.0, 0.0]),
    }
    assert top_heads(terms, 4) == ["save", "like", "like", "like"]  # a tie: the first head; nothing positive: like
    assert top_heads({}, 2) == ["like", "like"]
