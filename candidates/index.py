"""`PostIndex`: post embeddings in FAISS, keyed by post id, saved beside the model version that made them.

Exact inner-product search (`IndexFlatIP`) below `exact_below` posts; above it HNSW (graph) or IVF
(inverted lists), as configured. Ids are post ids (`IndexIDMap2`). New posts are added incrementally;
a deleted post is removed where the index supports it (flat, IVF) and otherwise tombstoned and
filtered out of results (HNSW cannot remove), until the next rebuild. Searching is safe while the
relay adds or removes posts in another thread (one lock; a search takes well under a millisecond).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

INDEX_FILE, META_FILE = "posts.faiss", "index.json"


@dataclass(frozen=True)
class IndexConfig:
    exact_below: int = 50_000  # posts; smaller sets are searched exactly
    kind: Literal["hnsw", "ivf"] = "hnsw"
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 128
    ivf_lists: int = 0  # 0: about 4·sqrt(n)
    nprobe: int = 16
    ivf_train_per_list: int = 64  # k-means sample per list (faiss' default 256 is slow on one core)


@dataclass
class PostIndex:
    index: faiss.Index
    config: IndexConfig
    kind: str
    tombstones: set[int] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def build(cls, post_ids: np.ndarray, vectors: np.ndarray, config: IndexConfig | None = None) -> PostIndex:
        config = config or IndexConfig()
        vectors = _f32(vectors)
        kind = "flat" if len(post_ids) < config.exact_below else config.kind
        inner = _make_inner(kind, vectors, config)
        index = faiss.IndexIDMap2(inner)
        index.add_with_ids(vectors, np.asarray(post_ids, dtype=np.int64))
        built = cls(index, config, kind)
        built.tune(ef_search=config.ef_search, nprobe=config.nprobe)
        return built

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal) - len(self.tombstones)

    def tune(self, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Set the search-time knob of the approximate index (recall against latency)."""
        inner = faiss.downcast_index(self.index.index)  # type: ignore[attr-defined]
        if isinstance(inner, faiss.IndexHNSW) and ef_search is not None:
            inner.hnsw.efSearch = ef_search
        if isinstance(inner, faiss.IndexIVF) and nprobe is not None:
            inner.nprobe = nprobe

    def add(self, post_ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add new posts. Flat/IVF replace a post already there; HNSW keeps its first vector (no removal)."""
        post_ids, vectors = np.asarray(post_ids, dtype=np.int64), _f32(vectors)
        if len(post_ids) == 0:
            return
        with self.lock:
            if self.kind == "hnsw":
                fresh = ~np.isin(post_ids, self._ids())
                post_ids, vectors = post_ids[fresh], vectors[fresh]
            else:
                self.index.remove_ids(faiss.IDSelectorBatch(post_ids))
            self.index.add_with_ids(vectors, post_ids)

    def remove(self, post_ids: np.ndarray) -> None:
        """Deleted posts never come back from `search`."""
        post_ids = np.asarray(post_ids, dtype=np.int64)
        with self.lock:
            if self.kind == "hnsw":
                self.tombstones.update(post_ids[np.isin(post_ids, self._ids())].tolist())
                return
            self.index.remove_ids(faiss.IDSelectorBatch(post_ids))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (post_ids, scores) per query row, best first; padded with -1 / -inf."""
        queries = _f32(np.atleast_2d(queries))
        with self.lock:
            fetch = min(k + len(self.tombstones), max(int(self.index.ntotal), 1))
            scores, ids = self.index.search(queries, fetch)
            tombstones = np.fromiter(self.tombstones, dtype=np.int64, count=len(self.tombstones))
        if len(tombstones):
            dead = np.isin(ids, tombstones)
            ids, scores = np.where(dead, -1, ids), np.where(dead, -np.inf, scores)
            order = np.argsort(dead, axis=1, kind="stable")
            ids, scores = np.take_along_axis(ids, order, 1), np.take_along_axis(scores, order, 1)
        ids, scores = _pad(ids[:, :k], k, -1), _pad(scores[:, :k], k, -np.inf)
        return ids, np.where(ids < 0, -np.inf, scores).astype(np.float32)

    def save(self, folder: Path) -> None:
        """Write the index files; each is replaced atomically, so a reader never loads half a file."""
        folder.mkdir(parents=True, exist_ok=True)
        with self.lock:
            faiss.write_index(self.index, str(folder / f"{INDEX_FILE}.tmp"))
            meta = {"kind": self.kind, "config": asdict(self.config), "tombstones": sorted(self.tombstones)}
            (folder / f"{META_FILE}.tmp").write_text(json.dumps(meta))
        os.replace(folder / f"{INDEX_FILE}.tmp", folder / INDEX_FILE)
        os.replace(folder / f"{META_FILE}.tmp", folder / META_FILE)

    @classmethod
    def load(cls, folder: Path) -> PostIndex:
        meta = json.loads((folder / META_FILE).read_text())
        loaded = cls(faiss.read_index(str(folder / INDEX_FILE)), IndexConfig(**meta["config"]), meta["kind"])
        loaded.tombstones = set(meta["tombstones"])
        loaded.tune(ef_search=loaded.config.ef_search, nprobe=loaded.config.nprobe)
        return loaded

    def newest_id(self) -> int:
        """The largest post id ever added (-1 when empty); removed or tombstoned posts count too."""
        with self.lock:
            ids = self._ids()
        return int(ids.max()) if len(ids) else -1

    def _ids(self) -> np.ndarray:
        ids: np.ndarray = faiss.vector_to_array(self.index.id_map)  # type: ignore[attr-defined]
        return ids


def _make_inner(kind: str, vectors: np.ndarray, config: IndexConfig) -> faiss.Index:
    d = vectors.shape[1]
    if kind == "flat":
        return faiss.IndexFlatIP(d)
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(d, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = config.ef_construction
        return hnsw
    lists = config.ivf_lists or max(1, int(4 * np.sqrt(len(vectors))))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.max_points_per_centroid = config.ivf_train_per_list
    index.cp.min_points_per_centroid = 1
    index.train(vectors)
    return index


def _f32(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _pad(values: np.ndarray, k: int, fill: float) -> np.ndarray:
    if values.shape[1] >= k:
        return values
    return np.pad(values, ((0, 0), (0, k - values.shape[1])), constant_values=fill)
