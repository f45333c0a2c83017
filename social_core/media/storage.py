"""Object storage for media bytes behind a small protocol: a local folder (the embedded default) or an
S3-compatible bucket. Keys are content-addressed, so an object never changes once written."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

CACHE_CONTROL = "public, max-age=31536000, immutable"
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")


class ObjectNotFound(KeyError):
    """No object under that key."""


@runtime_checkable
class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...  # raises ObjectNotFound

    def delete(self, key: str) -> None: ...  # deleting a missing key is not an error

    def exists(self, key: str) -> bool: ...


def content_key(data: bytes, extension: str) -> str:
    """`ab/cd/abcd….ext`: the SHA-256 of the bytes, fanned out over two folder levels."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


def check_key(key: str) -> str:
    """Refuse keys that could escape a folder or confuse a bucket (absolute, `..`, odd characters)."""
    if len(key) > 1024 or not _KEY.fullmatch(key):
        raise ValueError(f"invalid object key: {key!r}")
    return key


class LocalStore:
    """Objects as files under `root`, written atomically (temporary file in the same folder, then rename)."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                if self.fsync:
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()


@dataclass(frozen=True)
class StoreConfig:
    """Which store and its settings; serving builds it from Settings. Unused fields are ignored."""

    type: Literal["local", "s3"] = "local"
    root: Path = Path("var/media")  # local
    bucket: str = ""  # s3 …
    endpoint_url: str | None = None  # MinIO, R2, moto…; None = AWS
    region: str | None = None
    access_key_id: str | None = None  # None = boto3's own credential chain
    secret_access_key: str | None = None
    prefix: str = ""  # prepended to every key in the bucket, e.g. "media/"


def _local(config: StoreConfig) -> ObjectStore:
    return LocalStore(config.root)


def _s3(config: StoreConfig) -> ObjectStore:
    from social_core.media.s3 import S3Store  # boto3 is imported only when an S3 store is made

    return S3Store(
        config.bucket,
        endpoint_url=config.endpoint_url,
        region=config.region,
        access_key_id=config.access_key_id,
        secret_access_key=config.secret_access_key,
        prefix=config.prefix,
    )


STORES: dict[str, Callable[[StoreConfig], ObjectStore]] = {"local": _local, "s3": _s3}


def make_store(config: StoreConfig) -> ObjectStore:
    try:
        factory = STORES[config.type]
    except KeyError:
        raise ValueError(f"unknown object store type {config.type!r}; known: {sorted(STORES)}") from None
    return factory(config)
