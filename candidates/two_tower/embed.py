"""Embeddings out of a trained `TwoTower`: whole post tables, users, and brand-new posts.

`embed_new_posts` is what the outbox relay calls on `post_created`: the post tower embeds the post
from its content (author, caption, hashtags, media type), no retraining needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from candidates.two_tower.inputs import MEDIA_TYPES, PostTable, caption_tokens, pad_rows, user_inputs
from candidates.two_tower.model import TwoTower

BATCH = 4096
CONTENT_STATS = ("caption_length", "hashtag_count")


@torch.no_grad()
def embed_posts(model: TwoTower, table: PostTable, batch_size: int = BATCH) -> np.ndarray:
    """(len(table), dim) float32 post embeddings."""
    model.eval()
    buckets = model.config.buckets
    parts = [
        model.post_tower(table.inputs(np.arange(start, min(start + batch_size, len(table))), buckets)).numpy()
        for start in range(0, len(table), batch_size)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, _dim(model)), dtype=np.float32)


@torch.inference_mode()  # lighter than no_grad: a feed request embeds one user
def embed_users(
    model: TwoTower, user_ids: np.ndarray, history: np.ndarray, dense: np.ndarray | None = None, batch_size: int = BATCH
) -> np.ndarray:
    """(n, dim) user embeddings from raw ids, history post ids (n, H; -1 pad) and dense features."""
    if model.training:  # a served model is in eval mode already: switching walks every module, per request
        model.eval()
    buckets = model.config.buckets
    n = len(user_ids)
    dense = np.zeros((n, model.config.user_dense), dtype=np.float32) if dense is None else dense
    parts = [
        model.user_tower(
            user_inputs(user_ids[s : s + batch_size], history[s : s + batch_size], dense[s : s + batch_size], buckets)
        ).numpy()
        for s in range(0, n, batch_size)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, _dim(model)), dtype=np.float32)


def post_table(
    rows: Iterable[Mapping[str, Any]], max_tokens: int = 16, n_stats: int = 0, image_dim: int = 0
) -> PostTable:
    """Posts as mappings (``id``, ``author_id``, ``caption``, optional ``hashtags``, ``media_type``,
    ``stats``, ``image``) → a `PostTable`. ``media_type`` is one of `MEDIA_TYPES` (unknown → "none");
    ``stats`` defaults to `content_stats` (the first ``n_stats`` of them); an ``image`` embedding of
    another length than ``image_dim`` counts as none."""
    rows = list(rows)
    image = np.zeros((len(rows), image_dim), dtype=np.float32)
    for i, row in enumerate(rows):
        vector = row.get("image")
        if image_dim and vector is not None and len(vector) == image_dim:
            image[i] = vector
    tokens = [caption_tokens(row.get("caption") or "", row.get("hashtags") or (), max_tokens) for row in rows]
    stats = np.zeros((len(rows), n_stats), dtype=np.float32)
    for i, row in enumerate(rows):
        values = row["stats"] if row.get("stats") is not None else content_stats(row)
        stats[i, : min(n_stats, len(values))] = np.asarray(values, dtype=np.float32)[:n_stats]
    media = [row.get("media_type") or "none" for row in rows]
    return PostTable(
        post_ids=np.array([int(row["id"]) for row in rows], dtype=np.int64),
        author_ids=np.array([int(row.get("author_id") or -1) for row in rows], dtype=np.int64),
        tokens=pad_rows(tokens, max_tokens) if rows else np.zeros((0, max_tokens), dtype=np.int64),
        media_type=np.array([MEDIA_TYPES.index(m) if m in MEDIA_TYPES else 0 for m in media], dtype=np.int64),
        stats=stats,
        image=image,
    )


def content_stats(row: Mapping[str, Any]) -> list[float]:
    """The numbers a post's content fixes at creation (`CONTENT_STATS`): caption length, hashtag count.
    Engagement counters are left to the ranker: an indexed embedding cannot follow them as they change."""
    return [float(len(row.get("caption") or "")), float(len(row.get("hashtags") or ()))]


def embed_new_posts(model: TwoTower, post_rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Embed posts created after training (the relay's `post_created`) from content alone, rows in order;
    add them with `PostIndex.add(ids, vectors)`."""
    table = post_table(post_rows, model.config.max_tokens, model.config.post_stats, model.config.image_dim)
    table.post_ids[:] = -1  # never trained on: the id bucket would only add another post's noise
    return embed_posts(model, table)


def _dim(model: TwoTower) -> int:
    return model.config.dim
