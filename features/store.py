"""`FeatureStoreConfig` → a `feature_store.yaml` in a working folder under home → a Feast `FeatureStore`.

Embedded default: file offline store (parquet under `{home}/features/data`) and a SQLite online store
under `{home}/features/repo`. With `redis_url`, the online store is that Redis. The Feast `project`
is part of every Redis key, so two projects never see each other's rows on one Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from feast import FeatureStore

from features.repo.definitions import definitions
from features.schema import PROJECT


@dataclass(frozen=True)
class FeatureStoreConfig:
    home: Path
    redis_url: str | None = None
    project: str = PROJECT

    @property
    def root(self) -> Path:
        # Absolute: Feast resolves relative file-source paths against the repo folder, not the cwd.
        return Path(self.home).resolve() / "features"

    @property
    def repo_dir(self) -> Path:
        return self.root / "repo"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def online_type(self) -> str:
        return "redis" if self.redis_url else "sqlite"


def redis_connection_string(url: str) -> str:
    """`redis://[:password@]host:port/db` → Feast's `host:port,db=N[,password=...][,ssl=true]`."""
    parsed = urlparse(url)
    parts = [f"{parsed.hostname or '127.0.0.1'}:{parsed.port or 6379}"]
    db = (parsed.path or "/0").lstrip("/") or "0"
    parts.append(f"db={db}")
    if parsed.password:
        parts.append(f"password={parsed.password}")
    if parsed.scheme == "rediss":
        parts.append("ssl=true")
    return ",".join(parts)


def store_yaml(config: FeatureStoreConfig) -> dict[str, Any]:
    online: dict[str, Any] = {"type": "sqlite", "path": str((config.repo_dir / "online.db").resolve())}
    if config.redis_url:
        online = {"type": "redis", "connection_string": redis_connection_string(config.redis_url)}
    return {
        "project": config.project,
        "provider": "local",
        "registry": {"path": str((config.repo_dir / "registry.db").resolve()), "cache_ttl_seconds": 60},
        "offline_store": {"type": "file"},
        "online_store": online,
        "entity_key_serialization_version": 3,
    }


def open_store(config: FeatureStoreConfig) -> FeatureStore:
    """Write `feature_store.yaml` into the working folder (idempotent) and open the store."""
    config.repo_dir.mkdir(parents=True, exist_ok=True)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    path = config.repo_dir / "feature_store.yaml"
    text = yaml.safe_dump(store_yaml(config), sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return FeatureStore(repo_path=str(config.repo_dir))


def apply(store: FeatureStore, config: FeatureStoreConfig) -> list[str]:
    """`feast apply` of `features/repo/` against this store; returns the names applied."""
    objects = definitions(config.data_dir)
    store.apply(objects)
    return [obj.name for obj in objects]
