"""Read Feast's online store directly, a whole batch of keys per round trip.

`OnlineReader.read(view, keys, features)` returns a float64 matrix (keys × features), NaN where the
key or the feature is absent or null. The bytes are Feast's: each value a serialized `Value` proto,
which for a Float64 feature is exactly 9 bytes (tag 0x29 + little-endian double), so a whole batch
is decoded by one `numpy.frombuffer`.

- `redis`: Feast's layout is one hash per entity key (`serialize_entity_key + project`), fields
  `mmh3("view:feature")`. One Lua script per batch does every HMGET server-side and returns one
  string of 9-byte cells (a missing or non-double cell is 9 zero bytes), so a batch is one reply to
  parse, not N. Not for Redis Cluster (a script's keys must share a slot).
- `sqlite`: Feast's table `{project}_{view}` (entity_key, feature_name, value, event_ts), one
  `IN (...)` query per view.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import redis
from feast.infra.online_stores.helpers import _mmh3

DOUBLE_TAG = 0x29  # field 5 (double_val), wire type 1 (64-bit)
CELL = 9

LUA_HMGET_CELLS = """
local n = #ARGV
local cells = {}
local missing = string.rep('\\0', 9)
for i, key in ipairs(KEYS) do
  local values = redis.call('HMGET', key, unpack(ARGV))
  for j = 1, n do
    local v = values[j]
    if v and #v == 9 then cells[#cells + 1] = v else cells[#cells + 1] = missing end
  end
end
return table.concat(cells)
"""


class OnlineReader(Protocol):
    key_suffix: bytes  # appended to Feast's serialized entity key (Redis: the project)

    def read(self, view: str, keys: Sequence[bytes], features: Sequence[str]) -> np.ndarray: ...

    def read_many(self, requests: Sequence[tuple[str, Sequence[bytes], Sequence[str]]]) -> list[np.ndarray]: ...


def decode_cells(blob: bytes, n_keys: int, n_features: int) -> np.ndarray:
    cells = np.frombuffer(blob, dtype=np.uint8).reshape(n_keys, n_features, CELL)
    values = np.ascontiguousarray(cells[:, :, 1:]).view("<f8")[:, :, 0].astype(np.float64)
    values[cells[:, :, 0] != DOUBLE_TAG] = np.nan
    return values


class RedisReader:
    def __init__(self, client: Any, project: str) -> None:
        self.client = client
        self.key_suffix = project.encode()
        self.sha = client.script_load(LUA_HMGET_CELLS)
        self._fields: dict[tuple[str, tuple[str, ...]], list[bytes]] = {}

    def _hash_fields(self, view: str, features: Sequence[str]) -> list[bytes]:
        key = (view, tuple(features))
        if key not in self._fields:
            self._fields[key] = [_mmh3(f"{view}:{name}") for name in features]
        return self._fields[key]

    def read(self, view: str, keys: Sequence[bytes], features: Sequence[str]) -> np.ndarray:
        return self.read_many([(view, keys, features)])[0]

    def read_many(self, requests: Sequence[tuple[str, Sequence[bytes], Sequence[str]]]) -> list[np.ndarray]:
        live = [(i, r) for i, r in enumerate(requests) if len(r[1])]
        out = [np.full((len(keys), len(features)), np.nan) for _, keys, features in requests]
        if not live:
            return out
        try:
            blobs = self._evaluate(live)
        except redis.exceptions.NoScriptError:  # the server restarted or flushed its scripts
            self.sha = self.client.script_load(LUA_HMGET_CELLS)
            blobs = self._evaluate(live)
        for (i, (_, keys, features)), blob in zip(live, blobs, strict=True):
            out[i] = decode_cells(blob, len(keys), len(features))
        return out

    def _evaluate(self, live: list[tuple[int, tuple[str, Sequence[bytes], Sequence[str]]]]) -> list[bytes]:
        # EVALSHA by hand: redis-py's Script in a pipeline adds a SCRIPT EXISTS round trip per call.
        with self.client.pipeline(transaction=False) as pipe:
            for _, (view, keys, features) in live:
                pipe.execute_command("EVALSHA", self.sha, len(keys), *keys, *self._hash_fields(view, features))
            return pipe.execute()


class SqliteReader:
    key_suffix = b""

    def __init__(self, path: str, project: str) -> None:
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.project = project

    def read(self, view: str, keys: Sequence[bytes], features: Sequence[str]) -> np.ndarray:
        out = np.full((len(keys), len(features)), np.nan)
        if not len(keys):
            return out
        table = f'"{self.project}_{view}"'.replace("\0", "")
        marks = ",".join("?" * len(keys))
        try:
            query = f"SELECT entity_key, feature_name, value FROM {table} WHERE entity_key IN ({marks})"
            rows = self.conn.execute(query, list(keys)).fetchall()
        except sqlite3.OperationalError:  # the view was never materialized: every value is missing
            return out
        row_of = {key: i for i, key in enumerate(keys)}
        col_of = {name: j for j, name in enumerate(features)}
        hits = [(row_of[k], col_of[f], v) for k, f, v in rows if f in col_of and len(v) == CELL]
        if hits:
            r, c, blobs = zip(*hits, strict=True)
            out[list(r), list(c)] = decode_cells(b"".join(blobs), len(blobs), 1)[:, 0]
        return out

    def read_many(self, requests: Sequence[tuple[str, Sequence[bytes], Sequence[str]]]) -> list[np.ndarray]:
        return [self.read(view, keys, features) for view, keys, features in requests]


def redis_client(connection_string: str) -> Any:
    """A redis-py client from Feast's `host:port,db=N,password=...,ssl=true` connection string."""
    host_port, *options = connection_string.split(",")
    host, _, port = host_port.partition(":")
    kwargs: dict[str, Any] = dict(option.split("=", 1) for option in options if "=" in option)
    ssl = str(kwargs.pop("ssl", "false")).lower() == "true"
    db = int(kwargs.pop("db", 0))
    return redis.Redis(host=host, port=int(port or 6379), db=db, ssl=ssl, password=kwargs.pop("password", None))


def reader_for(store_config: Any) -> OnlineReader:
    """The reader for a Feast `RepoConfig`'s online store (`READERS[type]`)."""
    online = store_config.online_store
    return READERS[online.type](store_config)


READERS = {
    "redis": lambda c: RedisReader(redis_client(c.online_store.connection_string), c.project),
    "sqlite": lambda c: SqliteReader(str(c.online_store.path), c.project),
}
