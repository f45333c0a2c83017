"""The two-tower retrieval model under the offline protocol: fit on train positives, rank by dot product.

Items carry no content in an interactions file, so the post tower sees ids only (no id-dropout);
a user is their hashed id plus the mean of their last `history` train items.

The defaults were chosen on a validation split cut from train, never on test: the protocol itself
(`temporal_split`) applied again to the train positives, i.e. each user's last 20% of train positives
held out, NDCG@10 over them. On ml-latest-small that validation gives ALS 0.096; for the two-tower
(30 epochs at batch 256, temperature 0.1, log-Q weight 2 unless said): log-Q weight 1 / 1.5 / 2 / 2.5 →
0.095 / 0.098 / 0.102 / 0.094 (above 1 the log-Q tilts scores towards popular items, which a time-ordered
holdout rewards); temperature 0.07 / 0.1 / 0.15 → 0.100 / 0.102 / 0.093; seeds 0 / 1 / 2 → 0.102 / 0.106 /
0.101. Within that seed noise nothing else helped: 45 epochs 0.104, weight decay 1e-4 0.103 (0.095 with
seed 1), 1024 uniform negatives 0.100, batch 128 for 20 epochs 0.100, history 100 0.097, dim 128 0.096, no
user-id embedding 0.094, full softmax 0.089 (and several times slower). The previous defaults (temperature
0.05, batch 512, early stopping) gave 0.093.

Early stopping on each user's last train positive is available but off: the loss plateaus for the first
few epochs while recall on one positive per user barely moves, so patience cut training short.
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
    task: TaskConfig = field(default_factory=lambda: TaskConfig(temperature=0.1, id_dropout=0.0, logq_weight=2.0))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=30, batch_size=256))
    user_ids: bool = True  # False: the user is their history alone (the id bucket is left at padding)
    # Hold out each user's last train positive to find the best epoch count, then retrain on all train
    # positives for that many epochs (off by default, see the module docstring).
    early_stopping: bool = False
    min_train_for_validation: int = 3  # users with fewer train positives give no validation example
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
        user_ids = np.arange(split.n_users)
        if not config.user_ids:  # padding ids: the towers see a zero user vector, history alone speaks
            examples.user_ids, user_ids = -np.ones_like(examples.user_ids), -np.ones_like(user_ids)
        table = PostTable.from_ids(np.arange(split.n_items))
        train = config.train
        if config.early_stopping:
            train = replace(train, epochs=self._best_epochs(examples, held_out, table))
        model = self._train(examples, table, train)
        self._seen = split.train_matrix()
        self._items = embed_posts(model, table)
        self._users = embed_users(model, user_ids, last_history)

    def _train(self, examples: Examples, table: PostTable, train: TrainConfig) -> TwoTower:
        """All train positives for a known number of epochs (no validation: the last epoch is kept)."""
        torch.manual_seed(train.seed)
        model = TwoTower.build(self.config.model)
        fit(
            TwoTowerTask(model, self.config.task),
            table,
            examples,
            examples.subset(np.zeros(len(examples), bool)),
            train,
        )
        return model

    def _best_epochs(self, examples: Examples, held_out: np.ndarray, table: PostTable) -> int:
        """Epochs that maximise recall on the ``held_out`` examples (each user's last train positive)."""
        config = self.config
        torch.manual_seed(config.train.seed)
        model = TwoTower.build(config.model)
        task = TwoTowerTask(model, config.task)
        result = fit(task, table, examples.subset(~held_out), examples.subset(held_out), config.train)
        return result.best_epoch + 1

    def recommend(self, users: np.ndarray, k: int) -> np.ndarray:
        return rank_in_batches(self._score, users, self._seen, k, self.config.batch_size)

    def _score(self, users: np.ndarray) -> np.ndarray:
        scores: np.ndarray = self._users[users] @ self._items.T
        return scores
