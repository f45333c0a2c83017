from __future__ import annotations

import pytest

from ranking.selectors.preferences import apply_preferences, preference_multiplier
from social_core.preferences import RankingPreferences

PREFS = RankingPreferences(friends=2.0, popular=0.0, fresh=0.5)


def test_each_knob_scales_the_candidates_of_its_source() -> None:
    assert apply_preferences(["following"], 3.0, PREFS) == 6.0
    assert apply_preferences(["popular"], 3.0, PREFS) == 0.0
    assert apply_preferences(["fresh"], 3.0, PREFS) == 1.5
    assert apply_preferences(["two_tower"], 3.0, PREFS) == 3.0  # no knob: as ranked
    assert apply_preferences(["following"], 3.0, RankingPreferences()) == 3.0  # defaults change nothing


def test_a_candidate_of_several_sources_takes_its_largest_multiplier() -> None:
    assert preference_multiplier(["popular", "two_tower"], PREFS) == 1.0  # not there only for popularity
    assert preference_multiplier(["popular", "following"], PREFS) == 2.0
    assert preference_multiplier([], PREFS) == 1.0


@pytest.mark.parametrize("score", [-5.0, -0.1, 0.0, 0.1, 5.0])
def test_a_boost_moves_any_score_up_and_a_damp_moves_it_down(score: float) -> None:
    boosted = apply_preferences(["following"], score, PREFS)
    damped = apply_preferences(["fresh"], score, PREFS)
    assert damped <= score <= boosted
    if score != 0:
        assert damped < score < boosted


def test_a_knob_at_zero_sinks_a_negative_score_without_dividing_by_zero() -> None:
    assert apply_preferences(["popular"], -1.0, PREFS) == pytest.approx(-100.0)
