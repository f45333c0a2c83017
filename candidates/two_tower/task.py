"""`TwoTowerTask`: the training objective of a `TwoTower`, kept apart from the network.

In-batch sampled softmax: each example's engaged post is the positive, the other posts of the batch
(plus optional uniformly drawn posts, "mixed negative sampling") are its negatives. In-batch negatives
are drawn in proportion to popularity, so the logits are corrected by log Q (Yi et al. 2019): popular
posts are not punished just for appearing in many batches. Duplicates of the positive are masked.

`TaskConfig.full_softmax` swaps the sample for the whole catalogue: every post is a negative, exactly once,
so nothing is sampled and no log-Q applies. It costs a post-tower pass over the catalogue per batch, which
only a small catalogue affords (the offline MovieLens evaluation); the app keeps the sampled default.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional

from candidates.two_tower.inputs import PostInputs, UserInputs
from candidates.two_tower.model import TwoTower


@dataclass(frozen=True)
class TaskConfig:
    temperature: float = 0.05
    logq_weight: float = 1.0  # 1 = full log-Q correction, 0 = none
    id_dropout: float = 0.1  # share of training posts whose id is blanked, so content must carry signal
    full_softmax: bool = False  # every post of the table is a negative: exact softmax, logq_weight unused


@dataclass
class TrainingBatch:
    users: UserInputs
    posts: PostInputs  # the positives, row-aligned with users
    post_keys: torch.Tensor  # (B,) raw post ids, to mask duplicates of a positive
    log_q: torch.Tensor  # (B,) log sampling probability of each positive
    negatives: PostInputs | None = None  # (M,) uniformly drawn extra negatives
    negative_keys: torch.Tensor | None = None
    negative_log_q: float = 0.0  # log of a uniform negative's probability of being drawn


class TwoTowerTask:
    def __init__(self, model: TwoTower, config: TaskConfig | None = None) -> None:
        self.model = model
        self.config = config or TaskConfig()

    def logits(self, batch: TrainingBatch) -> torch.Tensor:
        """(B, B + M) corrected logits, column i of row i the positive; with `full_softmax`, (B, 1 + M):
        column 0 the positive, then every post of `negatives` but the positive itself."""
        user, post = self.model(batch.users, batch.posts)
        if self.config.full_softmax:
            return self._full_logits(user, post, batch)
        logits: torch.Tensor = user @ post.T / self.config.temperature - self.config.logq_weight * batch.log_q[None, :]
        duplicate = batch.post_keys[None, :] == batch.post_keys[:, None]
        duplicate.fill_diagonal_(False)
        logits = logits.masked_fill(duplicate, float("-inf"))
        if batch.negatives is None or batch.negative_keys is None:
            return logits
        extra = user @ self.model.post_tower(batch.negatives).T / self.config.temperature
        extra = extra - self.config.logq_weight * batch.negative_log_q
        extra = extra.masked_fill(batch.negative_keys[None, :] == batch.post_keys[:, None], float("-inf"))
        return torch.cat([logits, extra], dim=1)

    def _full_logits(self, user: torch.Tensor, post: torch.Tensor, batch: TrainingBatch) -> torch.Tensor:
        if batch.negatives is None or batch.negative_keys is None:
            raise ValueError("full_softmax needs the whole post table as the batch's negatives")
        positive = (user * post).sum(dim=1, keepdim=True)
        others = user @ self.model.post_tower(batch.negatives).T
        others = others.masked_fill(batch.negative_keys[None, :] == batch.post_keys[:, None], float("-inf"))
        return torch.cat([positive, others], dim=1) / self.config.temperature

    def loss(self, batch: TrainingBatch) -> torch.Tensor:
        logits = self.logits(batch)
        rows = len(logits)
        target = torch.zeros(rows, dtype=torch.long) if self.config.full_softmax else torch.arange(rows)
        return functional.cross_entropy(logits, target)
