"""Feast's Redis online store, read in ONE round trip per hydration: every entity kind, every view.

Feast keeps one hash per entity key (`serialize_entity_key + project`) holding the fields
`mmh3("view:feature")` of every view of that entity (post_content and post_stats share the post's
hash). One Lua script does every HMGET server-side and returns one string of 9-byte cells (a
missing or non-double cell is 9 zero bytes), so the client parses one reply, not N. The command is
packed with numpy (all keys of a request have the same length) and sent on a pooled connection:
redis-py's generic packer costs more than the rest of the client side together at 1,000 keys.
Not for Redis Cluster (a script's keys must share a slot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import redis
from feast.infra.online_stores.helpers import _mmh3

from features.online_cells import ReadRequest, decode_cells

# ARGV: group count, then per group: key count, field count, fields. KEYS: every group's keys in order.
LUA_HMGET_CELLS = """
local call, missing = redis.call, string.rep('\\0', 9)
local cells, m, k, a = {}, 0, 0, 2
for _ = 1, tonumber(ARGV[1]) do
  local nkeys, nfields = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local fields = {}
  for j = 1, nfields do fields[j] = ARGV[a + 1 + j] end
  a = a + 2 + nfields
  for _ = 1, nkeys do
    k = k + 1
    local values = call('HMGET', KEYS[k], unpack(fields))
    for j = 1, nfields do
      local v = values[j]
      m = m + 1
      if v and #v == 9 then cells[m] = v else cells[m] = missing end
    end
  end
end
return table.concat(cells)
"""


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


def bulk_rows(keys: np.ndarray) -> bytes:
    """RESP bulk strings for every row of a (n × width) uint8 key matrix, packed in one go."""
    n, width = keys.shape
    head = np.frombuffer(b"$%d\r\n" % width, dtype=np.uint8)
    crlf = np.frombuffer(b"\r\n", dtype=np.uint8)
    framed = np.empty((n, len(head) + width + 2), dtype=np.uint8)
    framed[:, : len(head)] = head
    framed[:, len(head) : len(head) + width] = keys
    framed[:, len(head) + width :] = crlf
    return framed.tobytes()


class RedisReader:
    def __init__(self, client: Any, project: str) -> None:
        self.client = client
        self.key_suffix = project.encode()
        self.sha = client.script_load(LUA_HMGET_CELLS)
        self._fields: dict[tuple[tuple[str, str], ...], bytes] = {}

    def _packed_fields(self, fields: tuple[tuple[str, str], ...]) -> bytes:
        if fields not in self._fields:
            self._fields[fields] = bulk(b"%d" % len(fields)) + b"".join(
                bulk(_mmh3(f"{view}:{name}")) for view, name in fields
            )
        return self._fields[fields]

    def read_many(self, requests: Sequence[ReadRequest]) -> list[np.ndarray]:
        out = [np.full((len(r.keys), len(r.fields)), np.nan) for r in requests]
        live = [i for i, r in enumerate(requests) if len(r.keys) and r.fields]
        if not live:
            return out
        blob = self._evaluate([requests[i] for i in live])
        start = 0
        for i in live:
            n, f = len(requests[i].keys), len(requests[i].fields)
            out[i] = decode_cells(blob[start : start + 9 * n * f], n, f)
            start += 9 * n * f
        return out

    def _command(self, requests: list[ReadRequest]) -> bytes:
        n_keys = sum(len(r.keys) for r in requests)
        argv = [bulk(b"%d" % len(requests))]
        argv += [bulk(b"%d" % len(r.keys)) + self._packed_fields(r.fields) for r in requests]
        n_argv = 1 + sum(2 + len(r.fields) for r in requests)
        head = b"*%d\r\n" % (3 + n_keys + n_argv) + bulk(b"EVALSHA") + bulk(self.sha.encode()) + bulk(b"%d" % n_keys)
        return b"".join([head, *(bulk_rows(r.keys) for r in requests), *argv])

    def _evaluate(self, requests: list[ReadRequest]) -> bytes:
        try:
            return self._send(self._command(requests))
        except redis.exceptions.NoScriptError:  # the server restarted or flushed its scripts
            self.sha = self.client.script_load(LUA_HMGET_CELLS)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            pass  # one retry on a fresh connection, as redis-py's own default
        return self._send(self._command(requests))

    def _send(self, command: bytes) -> bytes:
        pool = self.client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command([command])
            reply = connection.read_response()
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)
        if isinstance(reply, redis.exceptions.ResponseError):
            raise reply
        return bytes(reply)
