"""A short reason for every served item: its strongest contribution, then the source that proposed it.

The explanation stage works out each served row's phrase as a code into `PHRASES` (whole-array, for the
served rows only); the text, with the author's name, is written only for the rows a page presents
(`reasons`, through `ranking.result.ServedList`).

The head with the largest value-model term says what the item is expected to earn. Where the scorer
has per-feature contributions for that head (LightGBM's decision-path credits, the heuristic's log factors),
the largest positive contribution among features that describe the item or the viewer's relation
to its author becomes the phrase ("you often like posts by @alice"); otherwise the head does
("you may want to save this"). The candidate source adds where it came from ("popular with people
you follow"). Phrases are looked up by feature name (`features.schema`), never by column position.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np

from ranking.frame import Frame
from ranking.scorers.base import FeatureFrame, Scorer
from ranking.types import RankingContext

log = logging.getLogger("pixelrank.ranking")

FEATURE_PHRASES: dict[str, str] = {
    "ua_interactions_28d": "you often like posts by {author}",
    "ua_hours_since_last": "you engaged with {author} recently",
    "ua_follows": "you follow {author}",
    "ua_followed_by": "{author} follows you",
    "ua_mutual": "you and {author} follow each other",
    "post_age_hours": "new from {author}",
    "author_followers": "{author} is popular",
    "author_is_celebrity": "{author} is popular",
    "author_engagement_rate_28d": "{author}'s posts do well",
    "author_posts_7d": "{author} posts often",
}
PREFIX_PHRASES = {"post_likes": "popular right now", "post_comments": "people are talking about it"}
PREFIX_PHRASES |= {"post_saves": "people are saving it", "post_engagement": "popular right now"}
HEAD_PHRASES = {
    "like": "you may like this",
    "comment": "you may want to comment",
    "save": "you may want to save this",
    "share": "worth sharing",
}
# Most specific first: a post both trending and liked by friends is explained by the friends.
SOURCE_PHRASES = {
    "social_proof": "popular with people you follow",
    "fresh": "new from {author}, whom you engage with",
    "following": "from {author}, whom you follow",
    "two_tower": "similar to posts you engaged with",
    "popular": "trending now",
}


# Every phrase a row can be given: its code in a ranked list is its index here.
PHRASES: tuple[str, ...] = tuple(
    dict.fromkeys([*FEATURE_PHRASES.values(), *PREFIX_PHRASES.values(), *HEAD_PHRASES.values()])
)
NO_PHRASE = -1  # not explained (yet)
_CODE = {phrase: code for code, phrase in enumerate(PHRASES)}


def feature_phrase(feature: str) -> str | None:
    phrase = FEATURE_PHRASES.get(feature)
    if phrase is not None:
        return phrase
    return next((p for prefix, p in PREFIX_PHRASES.items() if feature.startswith(prefix)), None)


def source_phrase(sources: Sequence[str]) -> str | None:
    return next((SOURCE_PHRASES[s] for s in SOURCE_PHRASES if s in sources), None)


Usernames = Callable[[Sequence[int]], list[str | None]]


def no_names(author_ids: Sequence[int]) -> list[str | None]:
    return [None] * len(author_ids)


class Explainer:
    """The phrase of every served row, worked out for the served rows only; `usernames` names their authors
    when the text is written."""

    name = "explain"

    def __init__(self, usernames: Usernames = no_names) -> None:
        self.usernames = usernames

    def __call__(self, context: RankingContext, served: Frame) -> None:
        """Fill the phrase code of every served row, from the scorer that scored it (`context.scorer`)."""
        scorer = context.scorer
        if scorer is None:
            raise ValueError("explanations need the scorer: run the scoring stage first")
        head_codes = np.array([_CODE[HEAD_PHRASES.get(h, HEAD_PHRASES["like"])] for h in served.heads], np.int16)
        codes = head_codes[served.head]
        for h in np.unique(served.head).tolist():
            rows = np.flatnonzero(served.head == h)
            features = FeatureFrame(served.features[rows], served.feature_columns)
            contributions = _contributions(scorer, features, served.heads[h])
            if contributions is not None:
                strongest = strongest_codes(contributions, scorer.feature_names)
                codes[rows] = np.where(strongest != NO_PHRASE, strongest, codes[rows])
        served.phrase = codes


def reasons(codes: Sequence[int], sources: Sequence[tuple[str, ...]], author_names: Sequence[str | None]) -> list[str]:
    """The text of each row's reason: its phrase (`NO_PHRASE`: none) with its sources and its author's name."""
    return [
        reason(name, proposed, PHRASES[code]) if code != NO_PHRASE else ""
        for code, proposed, name in zip(codes, sources, author_names, strict=True)
    ]


def reason(author_name: str | None, sources: tuple[str, ...], phrase: str) -> str:
    """The phrase, then the source's unless both say the same thing (the author twice, popularity twice)."""
    author = f"@{author_name}" if author_name else "this account"
    return reason_template(phrase, sources).format(author=author)


@cache  # a handful of phrases × source sets: worked out once, not for each of a list's 300 items
def reason_template(phrase: str, sources: tuple[str, ...]) -> str:
    source = source_phrase(sources)
    about_author = "{author}" in phrase and source is not None and "{author}" in source
    about_popularity = phrase in PREFIX_PHRASES.values() and source == SOURCE_PHRASES["popular"]
    if source is None or source == phrase or about_author or about_popularity:
        return phrase
    return f"{phrase} · {source}"


def strongest_phrases(contributions: np.ndarray, names: Sequence[str]) -> list[str | None]:
    """Per row, the phrase of the largest positive contribution among features that have one (ties: the
    first such feature)."""
    return [PHRASES[c] if c != NO_PHRASE else None for c in strongest_codes(contributions, names).tolist()]


def strongest_codes(contributions: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """`strongest_phrases` as codes into `PHRASES` (`NO_PHRASE`: none). Whole-matrix: a sort per row was a
    third of the explain stage."""
    codes = _feature_codes(tuple(names))
    if not len(contributions) or not (codes != NO_PHRASE).any():
        return np.full(len(contributions), NO_PHRASE, dtype=np.int16)
    masked = np.where(codes != NO_PHRASE, contributions, -np.inf)
    best = masked.argmax(axis=1)
    top = masked[np.arange(len(masked)), best]
    return np.where(top > 0, codes[best], NO_PHRASE).astype(np.int16)


@cache  # one per model's feature names
def _feature_codes(names: tuple[str, ...]) -> np.ndarray:
    return np.array([NO_PHRASE if (p := feature_phrase(name)) is None else _CODE[p] for name in names], dtype=np.int16)


def _contributions(scorer: Scorer, frame: FeatureFrame, head: str) -> np.ndarray | None:
    try:
        return scorer.contributions(frame, head)
    except Exception:  # an explanation is worth less than the page: fall back to the head's phrase
        log.exception("contributions of %s failed", scorer.version)
        return None
