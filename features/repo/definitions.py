"""Every Feast object of the repository, for one data folder (where the batch pipeline writes)."""

from pathlib import Path
from typing import Any

from features.repo.entities import ENTITIES
from features.repo.on_demand import request_view
from features.repo.services import feature_services
from features.repo.views import feature_views
from features.schema import REQUEST_VIEW


def definitions(data_dir: Path) -> list[Any]:
    views: dict[str, Any] = dict(feature_views(data_dir))
    views[REQUEST_VIEW] = request_view(views["post_content"], views["user_author"])
    return [*ENTITIES.values(), *views.values(), *feature_services(views)]
