"""`/v1/me/ranking`: read and replace the caller's own ranking preferences."""

from __future__ import annotations

from fastapi import APIRouter

from ranking.value_model import ValueWeights
from serving.deps import CurrentUser, NowDep, SessionDep
from serving.schemas.ranking import RankingPreferencesPublic, RankingPreferencesUpdate
from social_core import preferences
from social_core.preferences import RankingPreferences

router = APIRouter(prefix="/v1/me/ranking", tags=["ranking"])


@router.get("")
def get_ranking(me: CurrentUser, session: SessionDep) -> RankingPreferencesPublic:
    """Your feed tuning (the defaults until you change it)."""
    return _public(preferences.get_preferences(session, me.id))


@router.put("")
def put_ranking(
    body: RankingPreferencesUpdate, me: CurrentUser, session: SessionDep, now: NowDep
) -> RankingPreferencesPublic:
    """Replace your feed tuning; send `{}` to go back to the defaults."""
    wanted = RankingPreferences(body.friends, body.popular, body.fresh, body.weights)
    return _public(preferences.set_preferences(session, me.id, wanted, now=now))


def _public(prefs: RankingPreferences) -> RankingPreferencesPublic:
    return RankingPreferencesPublic(
        friends=prefs.friends,
        popular=prefs.popular,
        fresh=prefs.fresh,
        weights=dict(prefs.weights),
        defaults=ValueWeights().as_dict(),
        updated_at=prefs.updated_at,
    )
