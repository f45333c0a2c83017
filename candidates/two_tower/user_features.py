"""The user tower's dense features at serving time: `two_tower_v1`'s user features, online.

Read through a `Hydrator` of any service that holds them (`Hydrator.user_values`: the user's rows alone,
kept a few seconds; serving passes the ranker's own, whose read then finds the viewer kept), so the user
embedding sees what training saw point in time (`training.datasets.user_features`). Fail-open: an
unreachable online store gives None, and the source embeds the user without them (zeros).
"""

from __future__ import annotations

import logging

import numpy as np

from features.hydrate import Hydrator
from features.schema import SERVICES, default

SERVICE = "two_tower_v1"
USER_FEATURES: tuple[str, ...] = tuple(SERVICES[SERVICE]["user_engagement"])

log = logging.getLogger("pixelrank.candidates")


class UserFeatures:
    """``user_id → (len(USER_FEATURES),)`` float32, for `TwoTowerSource(dense_features=...)`."""

    def __init__(self, hydrator: Hydrator) -> None:
        lacking = [name for name in USER_FEATURES if name not in hydrator.columns]
        if lacking:
            raise ValueError(f"the {hydrator.config.service} service lacks the user tower's {', '.join(lacking)}")
        self.hydrator = hydrator
        self.defaults = np.array([default(name) for name in USER_FEATURES])

    def __call__(self, user_id: int) -> np.ndarray | None:
        try:
            values = self.hydrator.user_values(user_id)
        except Exception:
            log.warning("online store unreachable: user %s embedded without dense features", user_id, exc_info=True)
            return None
        row = np.array([values[name] for name in USER_FEATURES])
        return np.where(np.isnan(row), self.defaults, row).astype(np.float32)
