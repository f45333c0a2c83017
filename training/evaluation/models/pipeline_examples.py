"""The ranker's examples: candidates of a history, their features, and (for training) labels from its cut.

`PairFeatures` is the feature builder: fitted on a split's train part, it retrieves candidates and
computes their features from that part alone. `training_examples` cuts train again per user (the
protocol's split, applied inside train, ``cuts`` times back in time for more examples), builds the
features on each history and labels a candidate 1 when the user engaged with it after the cut: no
impressions needed, the candidates the user did not pick are the negatives.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from training.evaluation.models.pipeline_candidates import SOURCE_FEATURES, CandidateConfig, Candidates, generate
from training.evaluation.models.pipeline_cut import hold_out_last
from training.evaluation.models.pipeline_features import FeatureConfig, HistoryFeatures
from training.evaluation.models.pipeline_sources import Retrieval, RetrievalConfig
from training.evaluation.split import Split


@dataclass(frozen=True)
class ExampleConfig:
    cuts: int = 3  # training cuts, each one the last 20% of the previous history
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)


_FIELDS = ("features", "labels", "users", "items", "groups")


@dataclass(frozen=True)
class Examples:
    """Ranker rows grouped by (cut, user), rows of a group contiguous."""

    features: np.ndarray  # (N, F)
    labels: np.ndarray  # (N,) 0/1
    users: np.ndarray  # (N,) user index (validation folds hold out whole users)
    items: np.ndarray  # (N,) item index
    groups: np.ndarray  # (N,) group key: cut · n_users + user

    def rows(self, mask: np.ndarray) -> Examples:
        return Examples(*(getattr(self, name)[mask] for name in _FIELDS))


class PairFeatures:
    """Candidates and their features for some users, as of ``history.train`` (nothing else is read)."""

    def __init__(self, history: Split, config: ExampleConfig | None = None) -> None:
        self.config = config or ExampleConfig()
        self.retrieval = Retrieval(self.config.retrieval)
        self.retrieval.fit(history)
        self.history = HistoryFeatures(history.train, history.n_users, history.n_items, self.config.features)

    @property
    def names(self) -> tuple[str, ...]:
        return (*SOURCE_FEATURES, *self.history.names)

    def __call__(self, users: np.ndarray) -> tuple[Candidates, np.ndarray]:
        candidates = generate(self.retrieval, np.asarray(users, dtype=np.int64), self.config.candidates)
        matrix = np.hstack([candidates.source_features, self.history(candidates.users, candidates.items)])
        return candidates, matrix


def training_cuts(split: Split, cuts: int) -> list[Split]:
    """``cuts`` nested per-user time cuts of train: each one's train is the next one's whole."""
    out, whole = [], split
    for _ in range(cuts):
        cut = hold_out_last(whole)
        out.append(cut)
        whole = replace(cut, test=cut.test.iloc[:0])
    return out


def training_examples(split: Split, config: ExampleConfig | None = None) -> Examples:
    """Labelled candidates of every cut; users with no engaged candidate after a cut teach nothing and are left out."""
    config = config or ExampleConfig()
    parts = []
    for number, cut in enumerate(training_cuts(split, config.cuts)):
        users = np.unique(cut.test["user_idx"].to_numpy())
        candidates, features = PairFeatures(cut, config)(users)
        labels = np.asarray(cut.test_matrix()[candidates.users, candidates.items]).ravel() > 0
        has_positive = np.bincount(candidates.users, labels, minlength=split.n_users)[candidates.users] > 0
        groups = number * split.n_users + candidates.users
        examples = Examples(features, labels.astype(np.int8), candidates.users, candidates.items, groups)
        parts.append(examples.rows(has_positive))
    return Examples(*(np.concatenate([getattr(part, name) for part in parts]) for name in _FIELDS))
