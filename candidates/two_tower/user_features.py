"""The user tower's dense features at serving time: `two_tower_v1`'s user features, online.

Read through the fast `Hydrator` (one online-store round trip, cached a few seconds), so the user
embedding sees what training saw point in time (`training.datasets.user_features`). Fail-open: an
unreachable online store gives None, and the source embeds the user without them (zeros).
"""

from __future__ import annotations

import logging

import numpy as np

from features.hydrate import Hydrator
from features.schema import SERVICES

SERVICE = "two_tower_v1"
USER_FEATURES: tuple[str, ...] = tuple(SERVICES[SERVICE]["user_engagement"])

log = logging.getLogger("pixelrank.candidates")


class UserFeatures:
    """``user_id → (len(USER_FEATURES),)`` float32, for `TwoTowerSource(dense_features=...)`."""

    def __init__(self, hydrator: Hydrator) -> None:
        if hydrator.config.service != SERVICE:
            raise ValueError(f"UserFeatures reads the {SERVICE} service, not {hydrator.config.service}")
        self.hydrator = hydrator
        self.columns = [hydrator.columns.index(name) for name in USER_FEATURES]

    def __call__(self, user_id: int) -> np.ndarray | None:
        try:
            # Post id 0 never exists: its columns come back as defaults; only the user's are kept.
            row = self.hydrator(user_id, [0], [0])[0]
        except Exception:
            log.warning("online store unreachable: user %s embedded without dense features", user_id, exc_info=True)
            return None
        features: np.ndarray = row[self.columns].astype(np.float32)
        return features
