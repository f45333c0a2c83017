"""Every setting of pixelrank, read once from the environment (the only place that reads it)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXELRANK_", extra="ignore")

    home: Path = Field(Path("var"), description="Folder for every file the embedded default writes.")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "PIXELRANK_DATABASE_URL"),
        description="SQLAlchemy URL of the OLTP database; default: a SQLite file under PIXELRANK_HOME.",
    )
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("REDIS_URL", "PIXELRANK_REDIS_URL"),
        description="Redis for feed sets and caches; default: an in-process fake Redis.",
    )
    host: str = Field("127.0.0.1", description="Address `pixelrank serve` binds.")
    port: int = Field(8000, description="Port `pixelrank serve` binds.")
    workers: int = Field(1, description="Worker processes of `pixelrank serve`.")
    log_level: str = Field("info", description="Log level of the API and the CLI.")
    min_post_media: int = Field(0, description="Fewest media a post must carry.")

    @property
    def db_url(self) -> str:
        if self.database_url:
            return _sqlalchemy_url(self.database_url)
        return f"sqlite:///{(self.home / 'pixelrank.db').resolve()}"


def _sqlalchemy_url(url: str) -> str:
    # Accept the libpq form (postgresql://) that DATABASE_URL usually carries; use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
