"""`LightGBMRanker`: one binary LightGBM booster per objective head, plus an optional LambdaRank booster.

Each head is a plain text LightGBM model file in the folder (`head_like.txt`, ...), readable by any
LightGBM and by tree compilers; `ranker.json` names the heads and the feature columns. Scoring uses
one thread by default: a page of a few hundred candidates is too small to gain from more.
"""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np

from ranking.model import HEADS
from ranking.models.compiled import BLOCK, CompiledHeads, compile_if_identical, probe_matrix
from ranking.models.manifest import Manifest, check_width
from ranking.models.paths import PathContributions

FAMILY = "lightgbm"
LAMBDARANK_FILE = "lambdarank.txt"


def head_file(head: str) -> str:
    return f"head_{head}.txt"


class LightGBMRanker:
    def __init__(
        self,
        boosters: dict[str, lgb.Booster],
        feature_names: tuple[str, ...],
        version: str,
        lambdarank: lgb.Booster | None = None,
        threads: int = 1,
    ) -> None:
        unknown = set(boosters) - set(HEADS)
        if unknown or not boosters:
            raise ValueError(f"heads must be a non-empty subset of {HEADS}, got {sorted(boosters)}")
        self.heads = tuple(head for head in HEADS if head in boosters)
        self.boosters = boosters
        self.lambdarank = lambdarank
        self.feature_names = tuple(feature_names)
        self.version = version
        self.threads = threads
        self.compiled: CompiledHeads | None = None
        self._paths: dict[str, PathContributions] = {}

    def compile(self, folder: Path, block: int = BLOCK) -> bool:
        """Score with compiled trees from now on, if they give LightGBM's exact scores (see `compiled`)."""
        self.compiled = compile_if_identical(self.boosters, folder, probe_matrix(self.boosters), block)
        return self.compiled is not None

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        matrix = self._matrix(features)
        if self.compiled is not None:
            return self.compiled.predict(matrix)
        return {head: self._scores(self.boosters[head], matrix) for head in self.heads}

    def prepare_explanations(self) -> None:
        """Build every head's path table now (serving does it where the model loads, not in a request)."""
        for head in self.heads:
            self._path_table(head)

    def contributions(self, features: np.ndarray, head: str) -> np.ndarray | None:
        """Per-feature contributions to the head's raw score by decision path (see `paths`)."""
        if head not in self.boosters:
            raise KeyError(f"no head {head!r}; this model has {self.heads}")
        return self._path_table(head)(self._matrix(features), self.threads)

    def _path_table(self, head: str) -> PathContributions:
        table = self._paths.get(head)
        if table is None:  # two requests may both build it: same table, the last one kept
            table = self._paths[head] = PathContributions(self.boosters[head])
        return table

    def rank_score(self, features: np.ndarray) -> np.ndarray | None:
        """The LambdaRank booster's raw score (higher ranks first), or None when it was not trained."""
        if self.lambdarank is None:
            return None
        return self._scores(self.lambdarank, self._matrix(features))

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for head, booster in self.boosters.items():
            booster.save_model(str(folder / head_file(head)))
        if self.lambdarank is not None:
            self.lambdarank.save_model(str(folder / LAMBDARANK_FILE))
        extra = {"lambdarank": self.lambdarank is not None, "threads": self.threads}
        Manifest(FAMILY, self.version, self.heads, self.feature_names, extra=extra).write(folder)

    @classmethod
    def load(cls, folder: Path, version: str | None = None) -> LightGBMRanker:
        folder = Path(folder)
        manifest = Manifest.read(folder, FAMILY)
        boosters = {head: lgb.Booster(model_file=str(folder / head_file(head))) for head in manifest.heads}
        lambdarank = None
        if manifest.extra.get("lambdarank"):
            lambdarank = lgb.Booster(model_file=str(folder / LAMBDARANK_FILE))
        threads = int(manifest.extra.get("threads", 1))
        return cls(boosters, manifest.feature_names, version or manifest.version, lambdarank, threads)

    def _matrix(self, features: np.ndarray) -> np.ndarray:
        check_width(features, self.feature_names)
        return np.asarray(features, dtype=np.float64)

    def _scores(self, booster: lgb.Booster, matrix: np.ndarray) -> np.ndarray:
        return np.asarray(booster.predict(matrix, num_threads=self.threads), dtype=np.float64)
