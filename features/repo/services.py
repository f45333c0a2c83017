"""Feature services: exactly what each model reads (see `features.schema.SERVICES`)."""

from feast import FeatureService, FeatureView
from feast.on_demand_feature_view import OnDemandFeatureView

from features.schema import SERVICES


def feature_services(views: dict[str, FeatureView | OnDemandFeatureView]) -> list[FeatureService]:
    return [
        FeatureService(name=name, features=[views[view][features] for view, features in selection.items()])
        for name, selection in SERVICES.items()
    ]
