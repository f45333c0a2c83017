"""Fit a `TwoTowerTask` on engagement examples: seeded, deterministic order, early stopping on validation.

An example is "user u engaged post p at time t, having engaged `history` before": the history holds
only earlier engagements, so training sees what serving will see (no target in its own history).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from candidates.two_tower.embed import embed_posts, embed_users
from candidates.two_tower.inputs import PostTable, user_inputs
from candidates.two_tower.model import TwoTower, sparse_parameters
from candidates.two_tower.task import TrainingBatch, TwoTowerTask


@dataclass
class Examples:
    """Row-aligned training examples; ``post_rows`` index a `PostTable`."""

    user_ids: np.ndarray  # (N,) int64 raw user ids
    history: np.ndarray  # (N, H) int64 raw post ids engaged earlier, most recent first, -1 pad
    post_rows: np.ndarray  # (N,) int64
    timestamps: np.ndarray  # (N,) float64 epoch seconds
    dense: np.ndarray | None = None  # (N, Du) float32 user features, None = zeros

    def __len__(self) -> int:
        return len(self.user_ids)

    def subset(self, mask: np.ndarray) -> Examples:
        dense = None if self.dense is None else self.dense[mask]
        return Examples(self.user_ids[mask], self.history[mask], self.post_rows[mask], self.timestamps[mask], dense)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 20
    batch_size: int = 512
    learning_rate: float = 3e-3
    weight_decay: float = 0.0
    uniform_negatives: int = 0  # extra uniformly drawn negatives per batch
    patience: int = 3  # epochs without a better validation recall before stopping
    recall_k: int = 50
    seed: int = 0
    threads: int = 1


@dataclass
class FitResult:
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch: loss, val_recall


def sequence_histories(user_ids: np.ndarray, post_ids: np.ndarray, length: int) -> np.ndarray:
    """For rows sorted by (user, time): the up to ``length`` earlier post ids of the same user, latest first."""
    n = len(user_ids)
    out = np.full((n, length), -1, dtype=np.int64)
    new_user = np.r_[True, user_ids[1:] != user_ids[:-1]] if n else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(new_user, np.arange(n), 0)) if n else np.zeros(0, np.int64)
    for lag in range(1, length + 1):
        source = np.arange(n) - lag
        valid = source >= start
        out[valid, lag - 1] = post_ids[source[valid]]
    return out


def log_q(post_rows: np.ndarray, n_posts: int) -> np.ndarray:
    """log of each post's share of the training positives (its in-batch sampling probability)."""
    counts = np.bincount(post_rows, minlength=n_posts).astype(np.float64) + 1e-3
    logq: np.ndarray = np.log(counts / counts.sum()).astype(np.float32)
    return logq


def make_batch(
    task: TwoTowerTask,
    table: PostTable,
    examples: Examples,
    rows: np.ndarray,
    logq: np.ndarray,
    rng: np.random.Generator,
    uniform_negatives: int,
) -> TrainingBatch:
    buckets = task.model.config.buckets
    posts = examples.post_rows[rows]
    drop = rng.random(len(rows)) < task.config.id_dropout
    dense = examples.dense[rows] if examples.dense is not None else np.zeros((len(rows), task.model.config.user_dense))
    batch = TrainingBatch(
        users=user_inputs(examples.user_ids[rows], examples.history[rows], dense, buckets),
        posts=table.inputs(posts, buckets, drop_ids=drop),
        post_keys=torch.from_numpy(table.post_ids[posts]),
        log_q=torch.from_numpy(logq[posts]),
    )
    if task.config.full_softmax:  # every post, once: the exact softmax over the catalogue
        batch.negatives = table.inputs(np.arange(len(table)), buckets)
        batch.negative_keys = torch.from_numpy(table.post_ids)
    elif uniform_negatives:
        negatives = rng.integers(0, len(table), uniform_negatives)
        batch.negatives = table.inputs(negatives, buckets)
        batch.negative_keys = torch.from_numpy(table.post_ids[negatives])
        batch.negative_log_q = float(np.log(uniform_negatives / len(table)) - np.log(len(rows)))
    return batch


def validation_recall(model: TwoTower, table: PostTable, examples: Examples, k: int) -> float:
    """Share of validation examples whose post is in the top k of all posts (by the model's score)."""
    if len(examples) == 0:
        return 0.0
    posts = torch.from_numpy(embed_posts(model, table))
    users = torch.from_numpy(embed_users(model, examples.user_ids, examples.history, examples.dense))
    hits = 0
    for start in range(0, len(users), 1024):
        top = torch.topk(users[start : start + 1024] @ posts.T, min(k, len(table)), dim=1).indices.numpy()
        hits += int((top == examples.post_rows[start : start + 1024, None]).any(axis=1).sum())
    return hits / len(examples)


def make_optimizers(model: TwoTower, config: TrainConfig) -> list[torch.optim.Optimizer]:
    """SparseAdam for the big hashed tables (a dense Adam step would touch every row), Adam for the rest."""
    sparse = sparse_parameters(model)
    sparse_ids = {id(p) for p in sparse}
    dense = [p for p in model.parameters() if id(p) not in sparse_ids]
    return [
        torch.optim.SparseAdam(sparse, lr=config.learning_rate),
        torch.optim.Adam(dense, lr=config.learning_rate, weight_decay=config.weight_decay),
    ]


def fit(
    task: TwoTowerTask,
    table: PostTable,
    train: Examples,
    validation: Examples,
    config: TrainConfig,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> FitResult:
    """Train with Adam; keep the weights of the epoch with the best validation recall@k (the last one when
    `validation` is empty: a refit for a known number of epochs)."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    model, logq = task.model, log_q(train.post_rows, len(table))
    optimizers = make_optimizers(model, config)
    result, best, best_state = FitResult(best_epoch=-1), -1.0, copy.deepcopy(model.state_dict())
    for epoch in range(config.epochs):
        rng = np.random.default_rng([config.seed, epoch])
        model.train()
        losses = []
        for rows in np.array_split(rng.permutation(len(train)), max(1, len(train) // config.batch_size)):
            loss = task.loss(make_batch(task, table, train, rows, logq, rng, config.uniform_negatives))
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            for optimizer in optimizers:
                optimizer.step()
            losses.append(loss.item())
        metrics = {
            "loss": float(np.mean(losses)),
            "val_recall": validation_recall(model, table, validation, config.recall_k),
        }
        result.history.append(metrics)
        if on_epoch is not None:
            on_epoch(epoch, metrics)
        if metrics["val_recall"] > best or len(validation) == 0:  # no validation: keep the last epoch
            best, result.best_epoch, best_state = metrics["val_recall"], epoch, copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= config.patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return result
