"""Feature views: one parquet file (the batch pipeline's output) behind one push source each."""

from pathlib import Path

from feast import FeatureView, Field, FileSource, PushSource
from feast.types import Float64, Int64

from features.repo.entities import ENTITIES
from features.schema import VIEWS

TIMESTAMP = "event_timestamp"


def parquet_path(data_dir: Path, view: str) -> Path:
    return Path(data_dir) / f"{view}.parquet"


def push_source_name(view: str) -> str:
    return f"{view}_push"


def feature_view(data_dir: Path, view: str) -> FeatureView:
    join_keys, features = VIEWS[view]
    batch = FileSource(name=f"{view}_source", path=str(parquet_path(data_dir, view)), timestamp_field=TIMESTAMP)
    return FeatureView(
        name=view,
        entities=[ENTITIES[key] for key in join_keys],
        schema=[Field(name=key, dtype=Int64) for key in join_keys] + [Field(name=f, dtype=Float64) for f in features],
        source=PushSource(name=push_source_name(view), batch_source=batch),
        online=True,
    )


def feature_views(data_dir: Path) -> dict[str, FeatureView]:
    return {view: feature_view(data_dir, view) for view in VIEWS}
