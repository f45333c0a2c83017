"""The full pipeline under the offline protocol: retrieval (ALS, EASE, item-kNN, popularity) → a learned ranker.

Fit: the ranker learns from labelled candidates of per-user time cuts *inside* train (see
`pipeline_examples`), so the test split is never seen; then retrieval and features are rebuilt on the
whole train, as of each user's last train positive, and the ranker orders each user's candidates.
``family`` picks the ranker: LightGBM LambdaRank or the torch multi-task network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from training.evaluation.models.base import DEFAULT_BATCH_SIZE, rank_in_batches
from training.evaluation.models.pipeline_examples import ExampleConfig, PairFeatures, training_examples
from training.evaluation.models.pipeline_ranker import Family, RankerConfig, Scorer, fit_ranker
from training.evaluation.split import Split
from training.ranker.dataset import RankerDataError

FALLBACK_ORDER = "ease_rank"  # the candidates' order when there are too few examples to learn a ranker


@dataclass(frozen=True)
class PipelineConfig:
    examples: ExampleConfig = field(default_factory=ExampleConfig)
    ranker: RankerConfig = field(default_factory=RankerConfig)
    batch_size: int = DEFAULT_BATCH_SIZE // 4  # users per scoring batch (dense rows of every source)


class PipelineRecommender:
    """`Recommender` of retrieval + ranker; ``fallback`` is True when too few examples left only retrieval order."""

    def __init__(self, family: Family = "lightgbm", config: PipelineConfig | None = None) -> None:
        self.family: Family = family
        self.config = config or PipelineConfig()
        self.fallback = False
        self._seen = sp.csr_matrix((0, 0))
        self._features: PairFeatures | None = None
        self._ranker: Scorer | None = None

    def fit(self, split: Split) -> None:
        config = self.config
        examples = training_examples(split, config.examples)
        self._features = PairFeatures(split, config.examples)
        self._seen = split.train_matrix()
        try:
            self._ranker = fit_ranker(examples, self._features.names, self.family, config.ranker)
            self.fallback = False
        except RankerDataError:
            self._ranker, self.fallback = None, True

    def recommend(self, users: np.ndarray, k: int) -> np.ndarray:
        return rank_in_batches(self._score, users, self._seen, k, self.config.batch_size)

    def _score(self, users: np.ndarray) -> np.ndarray:
        """Dense rows: the ranker's score on each candidate, -inf elsewhere (so non-candidates are never shown)."""
        if self._features is None:
            raise RuntimeError("fit the pipeline before recommending")
        unique, row_of_user = np.unique(users, return_inverse=True)
        candidates, features = self._features(unique)
        scores = np.full((len(unique), self._seen.shape[1]), -np.inf)
        if len(features):
            scores[np.searchsorted(unique, candidates.users), candidates.items] = self._rank(features, self._features)
        return scores[row_of_user]

    def _rank(self, features: np.ndarray, builder: PairFeatures) -> np.ndarray:
        if self._ranker is not None:
            return self._ranker(features)
        return -features[:, builder.names.index(FALLBACK_ORDER)]  # too few examples: retrieval order


def lightgbm_pipeline() -> PipelineRecommender:
    return PipelineRecommender("lightgbm")


def torch_pipeline() -> PipelineRecommender:
    return PipelineRecommender("torch")
