"""`TrayRanker`: the story tray ordered by predicted interest in each author, unseen first.

Order: your own entry, then accounts with unseen stories before fully seen ones, each group by
predicted interest, then by the newest story. Interest is what the ranker predicts for the viewer and
the author: the `ranker_v1` features of (viewer, author) from the online store (the user×author
affinity: interactions, hides, mutual follow, hours since the last interaction; the author's stats),
with the author's newest story standing in for the post (its age; the other post columns at their
defaults), scored by the serving ranker (the champion, or the heuristic) and the value model. When
the feature store is missing or unreachable, a database affinity stands in: the viewer's weighted
likes, comments and saves on the author's posts plus views of the author's stories, over 28 days.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidates.sources.engagement import engagements
from features.schema import service_columns
from ranking.scorers.base import FeatureFrame
from ranking.scorers.registry import resolve_scorer
from ranking.value_model import ValueWeights, value_scores
from serving.feed.features import FeatureStoreMissing, OnlineFeatures
from serving.feed.ranker import RankerChoice
from social_core.models import Post, Story, StoryView
from social_core.stories import TrayEntry
from social_core.types import UserId

log = logging.getLogger(__name__)
SERVICE = "ranker_v1"


@dataclass(frozen=True)
class TrayConfig:
    affinity_days: float = 28.0
    story_view_weight: float = 1.0  # a story view counts like a like in the database affinity


class TrayRanker:
    def __init__(
        self, features: OnlineFeatures, ranker: RankerChoice, weights: ValueWeights, config: TrayConfig | None = None
    ) -> None:
        self.features, self.ranker, self.weights = features, ranker, weights
        self.config = config or TrayConfig()
        self.columns = service_columns(SERVICE)

    def order(
        self, session: Session, viewer_id: UserId, entries: Sequence[TrayEntry], now: datetime
    ) -> list[TrayEntry]:
        others = [e for e in entries if e.author.id != viewer_id]
        interest = self.interest(session, viewer_id, others, now) if others else {}
        return sorted(
            entries,
            key=lambda e: (
                e.author.id != viewer_id,
                e.seen,
                -interest.get(e.author.id, 0.0),
                -e.latest_at.timestamp(),
                e.author.id,
            ),
        )

    def interest(
        self, session: Session, viewer_id: UserId, entries: Sequence[TrayEntry], now: datetime
    ) -> dict[int, float]:
        try:
            return self.predicted(viewer_id, entries, now)
        except FeatureStoreMissing:
            pass
        except Exception:  # the store is unreachable (or the model failed): the tray still ranks
            log.exception("story tray of user %s ranked by database affinity", viewer_id)
        return self.affinity(session, viewer_id, [e.author.id for e in entries], now)

    def predicted(self, viewer_id: UserId, entries: Sequence[TrayEntry], now: datetime) -> dict[int, float]:
        authors = [e.author.id for e in entries]
        matrix = self.features.hydrate(SERVICE, viewer_id, [0] * len(authors), authors, now.timestamp())
        if "post_age_hours" in self.columns:
            ages = [(now - e.latest_at).total_seconds() / 3600.0 for e in entries]
            matrix[:, self.columns.index("post_age_hours")] = np.maximum(ages, 0.0)
        scoring = self.ranker.scoring(self.weights)
        scorer, _ = resolve_scorer(scoring.config, scoring.load_model)
        predictions = scorer(FeatureFrame(matrix, tuple(self.columns)))
        scores = value_scores(predictions, self.weights, len(authors))
        return {author: float(score) for author, score in zip(authors, scores, strict=True)}

    def affinity(self, session: Session, viewer_id: UserId, authors: list[int], now: datetime) -> dict[int, float]:
        since = now - timedelta(days=self.config.affinity_days)
        rows = engagements(since, now).subquery()
        engaged = session.execute(
            select(Post.author_id, func.sum(rows.c.weight))
            .join(Post, Post.id == rows.c.post_id)
            .where(rows.c.user_id == viewer_id, Post.author_id.in_(authors), Post.deleted_at.is_(None))
            .group_by(Post.author_id)
        )
        viewed = session.execute(
            select(Story.author_id, func.count())
            .join(StoryView, StoryView.story_id == Story.id)
            .where(StoryView.viewer_id == viewer_id, StoryView.created_at >= since, Story.author_id.in_(authors))
            .group_by(Story.author_id)
        )
        totals = {int(a): float(w) for a, w in engaged}
        for author, views in viewed:
            totals[int(author)] = totals.get(int(author), 0.0) + self.config.story_view_weight * int(views)
        return {author: math.log1p(total) for author, total in totals.items()}
