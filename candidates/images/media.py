"""Image embeddings of media rows: computed from the stored pixels, written beside them, read by the post tower.

The encoder reads the `small` variant (256 px on its long side): the size it was trained on, a
fraction of the original's decoding cost, and present for every photo and every video's poster frame.
An embedding names the encoder version that made it (`embedding_model`), so the post tower only ever
reads vectors of the version it was trained with.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import object_session

from candidates.images.encoder import ImageEncoder
from social_core.media import ObjectStore
from social_core.media.storage import ObjectNotFound
from social_core.models import Event, Media, PostMedia

log = logging.getLogger(__name__)

ENCODED_SIZE = "small"
CHUNK = 256


def pixels_key(variants: Iterable[dict[str, Any]]) -> str | None:
    """The key of the variant the encoder reads (a JPEG if there is one), or None."""
    keys = {v.get("format"): v["key"] for v in variants if v.get("size") == ENCODED_SIZE and v.get("key")}
    return keys.get("jpeg") or next(iter(keys.values()), None)


def embed_media(conn: Connection, media_ids: Sequence[int], encoder: ImageEncoder, store: ObjectStore) -> int:
    """Embed and store the given media rows' pictures, each stored picture encoded once however many rows
    share it; returns how many rows were written. A row whose pixels are gone from the store is left
    without an embedding, not failed: retrying would not bring them back."""
    written = 0
    for start in range(0, len(media_ids), CHUNK):
        rows = conn.execute(select(Media.id, Media.variants).where(Media.id.in_(media_ids[start : start + CHUNK])))
        by_key: dict[str, list[int]] = defaultdict(list)
        for media_id, variants in rows:
            key = pixels_key(variants or [])
            if key is not None:
                by_key[key].append(int(media_id))
        pictures = {key: read(store, key) for key in by_key}
        keys = [key for key, data in pictures.items() if data is not None]
        if not keys:
            continue
        vectors = encoder.encode([pictures[key] or b"" for key in keys])
        values = [
            {"media_id": media_id, "vector": vector.astype(np.float32).tobytes()}
            for key, vector in zip(keys, vectors, strict=True)
            for media_id in by_key[key]
        ]
        statement = update(Media).where(Media.id == bindparam("media_id"))
        conn.execute(statement.values(embedding=bindparam("vector"), embedding_model=encoder.version), values)
        written += len(values)
    return written


def read(store: ObjectStore, key: str) -> bytes | None:
    try:
        return store.get(key)
    except ObjectNotFound:
        log.warning("variant %s is not in the store: its media get no image embedding", key)
        return None


def post_image_vectors(conn: Connection, post_ids: Sequence[int] | None, model: str) -> dict[int, np.ndarray]:
    """Post id → the embedding of its first picture by encoder `model` (all live posts when ``post_ids`` is None)."""
    query = (
        select(PostMedia.post_id, Media.embedding)
        .join(Media, Media.id == PostMedia.media_id)
        .where(PostMedia.position == 0, Media.embedding_model == model)
    )
    if post_ids is not None:
        query = query.where(PostMedia.post_id.in_(post_ids))
    return {int(post): np.frombuffer(blob, dtype=np.float32) for post, blob in conn.execute(query) if blob}


def image_space(conn: Connection) -> tuple[str, int] | None:
    """The encoder version most media rows are embedded with, and its dimension (None: no embeddings yet):
    what a post tower trained now should read."""
    counted = func.count().label("n")
    row = conn.execute(
        select(Media.embedding_model, counted)
        .where(Media.embedding_model.is_not(None))
        .group_by(Media.embedding_model)
        .order_by(counted.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    blob = conn.scalar(select(Media.embedding).where(Media.embedding_model == row[0]).limit(1))
    return str(row[0]), len(blob or b"") // 4


ServedEncoder = Callable[[], ImageEncoder | None]  # the encoder serving now (None: none configured or loaded)


class ImageEmbedder:
    """Relay handler: every uploaded photo (a video: its poster frame) embedded by the served encoder.

    It runs before the post indexer, so a post created in the same batch as its upload is indexed with
    its picture. Without an encoder it does nothing: the encoder's training job embeds what came before.
    """

    name = "image_embeddings"

    def __init__(self, encoder: ServedEncoder, store: ObjectStore) -> None:
        self.encoder, self.store = encoder, store

    def __call__(self, events: Sequence[Event]) -> None:
        media_ids = [e.target_id for e in events if e.type == "media_uploaded" and e.target_id is not None]
        encoder = self.encoder() if media_ids else None
        if encoder is None:
            return
        session = object_session(events[0])  # the relay's own (SQLite: its lock holder)
        if session is None:
            raise ValueError("ImageEmbedder needs events loaded by the relay's session")
        embed_media(session.connection(), media_ids, encoder, self.store)
