"""Read Feast's online store directly, a whole batch of keys per round trip (`READERS[type]`).

- `redis`: `features.redis_reader.RedisReader`, one Lua script call for every request.
- `sqlite`: Feast's table `{project}_{view}` (entity_key, feature_name, value, event_ts), one
  `IN (...)` query per view of a request.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import redis

from features.online_cells import CELL, OnlineReader, ReadRequest, decode_cells
from features.redis_reader import RedisReader


class SqliteReader:
    key_suffix = b""

    def __init__(self, path: str, project: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.project = project

    def read_many(self, requests: Sequence[ReadRequest]) -> list[np.ndarray]:
        return [self._read(request) for request in requests]

    def _read(self, request: ReadRequest) -> np.ndarray:
        out = np.full((len(request.keys), len(request.fields)), np.nan)
        if not len(request.keys):
            return out
        keys = [row.tobytes() for row in request.keys]
        row_of = {key: i for i, key in enumerate(keys)}
        for view in dict.fromkeys(view for view, _ in request.fields):
            col_of = {name: j for j, (v, name) in enumerate(request.fields) if v == view}
            hits = [(row_of[k], col_of[f], v) for k, f, v in self._rows(view, keys) if f in col_of and len(v) == CELL]
            if hits:
                r, c, blobs = zip(*hits, strict=True)
                out[list(r), list(c)] = decode_cells(b"".join(blobs), len(blobs), 1)[:, 0]
        return out

    def _rows(self, view: str, keys: list[bytes]) -> list[tuple[bytes, str, bytes]]:
        table = f'"{self.project}_{view}"'.replace("\0", "")
        query = f"SELECT entity_key, feature_name, value FROM {table} WHERE entity_key IN ({','.join('?' * len(keys))})"
        try:
            return self.conn.execute(query, keys).fetchall()
        except sqlite3.OperationalError:  # the view was never materialized: every value is missing
            return []


def redis_client(connection_string: str) -> Any:
    """A redis-py client from Feast's `host:port,db=N,password=...,ssl=true` connection string."""
    host_port, *options = connection_string.split(",")
    host, _, port = host_port.partition(":")
    kwargs: dict[str, Any] = dict(option.split("=", 1) for option in options if "=" in option)
    ssl = str(kwargs.pop("ssl", "false")).lower() == "true"
    db = int(kwargs.pop("db", 0))
    return redis.Redis(host=host, port=int(port or 6379), db=db, ssl=ssl, password=kwargs.pop("password", None))


def _redis(config: Any) -> OnlineReader:
    return RedisReader(redis_client(config.online_store.connection_string), config.project)


def _sqlite(config: Any) -> OnlineReader:
    return SqliteReader(str(config.online_store.path), config.project)


READERS: dict[str, Callable[[Any], OnlineReader]] = {"redis": _redis, "sqlite": _sqlite}


def reader_for(store_config: Any) -> OnlineReader:
    """The reader for a Feast `RepoConfig`'s online store."""
    return READERS[store_config.online_store.type](store_config)
