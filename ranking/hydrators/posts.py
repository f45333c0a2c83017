"""Post facts from the in-process `PostCatalogue`: author (fan-out entries carry none), deleted, author private,
the picture's perceptual hash.

A post the catalogue (and so the database) does not know is marked deleted. Errors propagate: without
these facts the visibility filters cannot run, and serving a post nobody checked is worse than an error.
The catalogue may be `refresh_s` behind the database; each page is checked again as it leaves
(`serving.feed.guard`), as it is for the ranked lists cached for minutes.
"""

from __future__ import annotations

import numpy as np

from features.catalogue import PostCatalogue
from ranking.frame import Frame
from ranking.types import RankingContext


class PostFactsHydrator:
    name = "post_facts"

    def __init__(self, catalogue: PostCatalogue) -> None:
        self.catalogue = catalogue

    def __call__(self, context: RankingContext, frame: Frame) -> None:
        if not len(frame):
            return
        facts = self.catalogue.facts(frame.post_id)
        frame.author_id = np.where(facts.known, facts.author_id, frame.author_id)
        frame.deleted = facts.deleted
        frame.author_private = facts.author_private
        frame.phash = facts.phash
