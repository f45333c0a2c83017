"""Request-time features: a post's age and the hours since the user last engaged with the author,
computed from `request_ts` (epoch seconds) at serving time, never stored."""

import inspect
import types

import pandas as pd
from feast import FeatureView, Field, RequestSource
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.types import Float64

from features.schema import REQUEST_VIEW

request = RequestSource(name="request", schema=[Field(name="request_ts", dtype=Float64)])


def _request_time(inputs: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    now = pd.to_numeric(inputs["request_ts"], errors="coerce").astype("float64")
    created = pd.to_numeric(inputs["post_created_ts"], errors="coerce").astype("float64")
    last = pd.to_numeric(inputs["ua_last_interaction_ts"], errors="coerce").astype("float64")
    return pd.DataFrame({"post_age_hours": (now - created) / 3600.0, "ua_hours_since_last": (now - last) / 3600.0})


def request_view(post_content: FeatureView, user_author: FeatureView) -> OnDemandFeatureView:
    # Feast's decorator rebinds the function's module to __main__ (for dill), which breaks a second
    # use of the same function: build the view from a fresh copy each time instead.
    udf = types.FunctionType(_request_time.__code__, _request_time.__globals__, "_request_time")
    udf.__module__ = "__main__"
    return OnDemandFeatureView(
        name=REQUEST_VIEW,
        sources=[post_content[["post_created_ts"]], user_author[["ua_last_interaction_ts"]], request],
        schema=[Field(name="post_age_hours", dtype=Float64), Field(name="ua_hours_since_last", dtype=Float64)],
        mode="pandas",
        udf=udf,
        udf_string=inspect.getsource(_request_time),
    )
