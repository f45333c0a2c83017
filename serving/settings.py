"""Every setting of pixelrank, read once from the environment (the only place that reads it)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from candidates.fanout import FanoutConfig
from ranking.selectors.exploration import ExplorationConfig
from social_core.media import StoreConfig


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
    log_format: Literal["plain", "json"] = Field(
        "plain", description="API log lines: plain text, or JSON lines for a log shipper; both carry request_id."
    )
    metrics_dir: Path | None = Field(
        None,
        description="Empty folder where each `serve --workers N` process writes its metrics, so /metrics sums them "
        "(export PROMETHEUS_MULTIPROC_DIR to the same folder before starting; empty it between runs). "
        "Unset, or one worker: each process exposes its own metrics.",
    )
    min_post_media: int = Field(1, description="Fewest media a post must carry (upload them first).")
    max_image_bytes: int = Field(20_000_000, description="Largest image upload, in bytes (413 above).")
    max_video_bytes: int = Field(100_000_000, description="Largest video upload, in bytes (413 above).")
    max_video_seconds: float = Field(60.0, description="Longest video a post may carry (stories: 15 s).")
    media_avif: bool = Field(True, description="Also encode AVIF variants where Pillow can (slower uploads).")
    media_store: Literal["local", "s3"] = Field(
        "local", description="Object store for media: a folder under PIXELRANK_HOME, or an S3-compatible bucket."
    )
    s3_bucket: str = Field("", description="Bucket of the S3 media store.")
    s3_endpoint_url: str | None = Field(None, description="Endpoint of an S3-compatible store (MinIO, R2); unset: AWS.")
    s3_region: str | None = Field(None, description="Region of the S3 media store.")
    image_encoder: Literal["cnn", "export"] = Field(
        "cnn",
        description="What embeds each uploaded picture: the project's CNN (the registry's champion, from "
        "`pixelrank train image-encoder`), or a pretrained open encoder saved by torch.export "
        "(PIXELRANK_IMAGE_ENCODER_PATH; nothing is downloaded).",
    )
    image_encoder_path: Path | None = Field(
        None,
        description="A local checkpoint to embed pictures with: a torch.export .pt2 file, or a cnn version folder.",
    )
    image_encoder_side: int = Field(224, description="Input pixels per side of the exported image encoder.")
    relay: Literal["inprocess", "off"] = Field(
        "inprocess",
        description="Run the outbox relay inside the API process (embedded default), or not (run `pixelrank worker`).",
    )
    relay_batch_size: int = Field(500, description="Outbox events the relay handles per transaction.")
    relay_idle_seconds: float = Field(0.2, description="How long an idle relay waits before looking again.")
    celebrity_threshold: int = Field(
        10_000, description="Followers from which an author's posts are pulled at read time instead of fanned out."
    )
    feed_cap: int = Field(800, description="Newest posts kept in each user's fan-out feed set in Redis.")
    story_tray_ttl_s: int = Field(
        30,
        description="Seconds a viewer's story tray stays cached in Redis (0: no caching); bounds how late a "
        "followee's new story appears.",
    )
    story_retention_hours: float = Field(
        24.0, description="Hours after a story expires before `pixelrank stories cleanup` deletes its media."
    )
    realtime_channel: str = Field(
        "pixelrank:realtime", description="Redis pub/sub channel carrying live events between server processes."
    )
    mlflow_tracking_uri: str | None = Field(
        None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "PIXELRANK_MLFLOW_TRACKING_URI"),
        description="MLflow tracking server URL (production); default: a SQLite store under PIXELRANK_HOME.",
    )
    model_refresh_s: float = Field(
        30.0, description="Seconds between serving's checks of the champion aliases (ranker and two-tower)."
    )
    ranker: Literal["champion", "heuristic"] = Field(
        "champion",
        description="Feed/explore scorer: the registry's champion ranker (the heuristic, marked degraded, while "
        "none is registered), or always the heuristic.",
    )
    ranking_weights: dict[str, float] = Field(
        default_factory=dict,
        description='Value-model weights replacing the defaults for everyone, JSON, e.g. {"save": 8}; a user\'s '
        "own weights (PUT /v1/me/ranking) apply on top.",
    )
    exploration_rate: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        description="Share of home-feed rankings whose first slots are a Plackett–Luce draw from the ranked head, "
        "with each impression's exact propensity logged for off-policy evaluation (0: off).",
    )
    exploration_temperature: float = Field(
        0.7,
        gt=0.0,
        description="Temperature of that draw, in standard deviations of the head's value scores (lower: closer "
        "to the ranked order).",
    )
    exploration_slots: int = Field(10, ge=1, description="Feed positions an explored ranking draws.")
    exploration_pool: int = Field(
        50, ge=1, description="Ranked items the draw picks from (at least the slots): nothing beyond is promoted."
    )
    freeze_heap: bool = Field(
        True,
        description="Freeze what is loaded once (app, models, stores) out of Python's cyclic garbage collector, "
        "so full collections do not stop requests (`serving/heap.py`); the tests turn it off.",
    )
    compiled_trees: bool = Field(
        True,
        description="Score LightGBM rankers with their trees compiled to machine code (lleaves; identical scores, "
        "checked at load); false: stock `Booster.predict` (the reference that benchmarks/feed.py compares).",
    )
    feature_reader: Literal["fast", "stock"] = Field(
        "fast",
        description="How the feed reads online features: the fast hydrator (one round trip, short row caches), or "
        "the stock `FeatureStore.get_online_features` call (the reference that benchmarks/feed.py compares).",
    )
    feed_cache_ttl_s: int = Field(
        600, description="Seconds a ranked feed/explore list stays cached in Redis for its later pages."
    )
    feed_pages_at_once: int = Field(
        1,
        ge=1,
        description="Feed and explore pages a worker process serves at once; the rest wait their turn. Their work "
        "is Python holding the GIL: pages served side by side in threads take turns every few milliseconds and "
        "cost more CPU each (benchmarks/feed.py), so run more workers rather than raising this.",
    )
    catalogue_refresh_s: float = Field(
        0.5,
        ge=0,
        description="Seconds the in-process post catalogue (every post's author, time, deleted and author-private "
        "flags, and the post and author feature rows read so far) may lag the outbox before a ranking reads the "
        "new events (0: at every ranking); each page is checked again before it is served.",
    )
    feed_cache_size: int = Field(300, description="Items ranked and cached per feed/explore refresh (page 1).")
    feed_candidates: dict[str, int] = Field(
        default_factory=lambda: {"following": 500, "two_tower": 300, "popular": 200, "social_proof": 100, "fresh": 100},
        description="Candidates asked of each feed source, JSON; a source left out is not used.",
    )
    explore_candidates: dict[str, int] = Field(
        default_factory=lambda: {"two_tower": 500, "popular": 300, "social_proof": 150},
        description="Candidates asked of each explore source, JSON; a source left out is not used.",
    )

    @property
    def media_store_config(self) -> StoreConfig:
        # S3 credentials come from boto3's own chain (AWS_ACCESS_KEY_ID, ...), never from here.
        return StoreConfig(
            type=self.media_store,
            root=self.home / "media",
            bucket=self.s3_bucket,
            endpoint_url=self.s3_endpoint_url,
            region=self.s3_region,
        )

    @property
    def fanout_config(self) -> FanoutConfig:
        return FanoutConfig(celebrity_threshold=self.celebrity_threshold, feed_cap=self.feed_cap)

    @property
    def exploration_config(self) -> ExplorationConfig:
        return ExplorationConfig(
            self.exploration_rate, self.exploration_temperature, self.exploration_slots, self.exploration_pool
        )

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

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
