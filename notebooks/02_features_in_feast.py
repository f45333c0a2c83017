# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Features in Feast
#
# Every feature the rankers read is defined once (`features/schema.py`), registered in a Feast repo
# (`features/repo/`), computed in batch from the outbox into parquet (the offline store) and loaded
# into an online store for serving. This notebook walks that path as the CLI does
# (`pixelrank features apply|build|materialize|skew`), builds a point-in-time training set with
# `get_historical_features`, *proves* that no feature value from after an impression leaks into its
# row, and reads the train/serve skew check.

# %%
from datetime import UTC, datetime

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from scratch import scratch_world

from features.batch.pipeline import BatchConfig, build_features
from features.materialize import materialize
from features.repo.views import TIMESTAMP, parquet_path
from features.schema import SERVICES, VIEWS, service_columns
from features.skew import SkewConfig, check_skew
from features.store import apply, open_store
from features.training_set import LABELS, TrainingSetConfig, build_training_set
from serving.commands.features import store_config
from social_core.db import make_engine
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import WorldConfig

settings = scratch_world("02_features_in_feast")
engine = make_engine(settings.db_url)
seed_world(engine, settings.home, WorldConfig(users=200, days=7, seed=0))
run_sessions(engine, settings.home, SessionConfig(sessions=1_500, policy="chronological", seed=0)).events

# %% [markdown]
# ## `feast apply`: entities, feature views, services
# The repo is written under `PIXELRANK_HOME/features/repo/`; the online store is SQLite here (Redis when
# `REDIS_URL` is set). One feature view per parquet file; a *feature service* is what a model reads, in
# column order. `request_time` is an on-demand view: features computed at request time (a post's age).

# %%
config = store_config(settings)
store = open_store(config)
applied = apply(store, config)
views = pd.DataFrame(
    [
        {"view": v.name, "entities": ", ".join(v.entities), "features": len(v.features), "online": v.online}
        for v in store.list_feature_views()
    ]
).set_index("view")
services = pd.DataFrame(
    [
        {"service": s.name, "views": ", ".join(p.name for p in s.feature_view_projections), "features": n}
        for s in store.list_feature_services()
        for n in [sum(len(p.features) for p in s.feature_view_projections)]
    ]
).set_index("service")
display(views, services, sorted(e.name for e in store.list_entities()))

# %%
assert set(views.index) == set(VIEWS)
assert set(services.index) == set(SERVICES)
assert services.loc["ranker_v1", "features"] == len(service_columns("ranker_v1"))
assert [v.name for v in store.list_on_demand_feature_views()] == ["request_time"]

# %% [markdown]
# ## The batch build: outbox → parquet
# One pass over the events computes every view. Each row is the state of one key (a user, a post, an
# author, a user–author pair) from its `event_timestamp` on, so a view holds a key's whole history.

# %%
built = build_features(engine, BatchConfig(config.data_dir))
print(f"{built.events:,} events in {built.seconds:.1f} s, as of {built.as_of}")
rows = pd.Series(built.rows, name="rows")
post_stats = pd.read_parquet(parquet_path(config.data_dir, "post_stats"))
display(rows.to_frame(), post_stats.tail(3))

# %% [markdown]
# ## Materialization: the newest row per key → the online store
# Serving reads the online store only. After a full materialization, what it returns for a key is that
# key's newest batch row.

# %%
materialize(store, datetime.now(UTC))


def newest_rows(view: str) -> pd.DataFrame:
    """Each key's newest batch row of a view, indexed by the view's keys."""
    keys = list(VIEWS[view][0])
    history = pd.read_parquet(parquet_path(config.data_dir, view))
    return history.sort_values(TIMESTAMP).groupby(keys).tail(1).set_index(keys)


newest = newest_rows("user_engagement")
users = newest.index[:5].tolist()
names = ["user_likes_7d", "user_impressions_7d", "user_engagement_rate_28d"]
online = store.get_online_features(
    features=[f"user_engagement:{n}" for n in names], entity_rows=[{"user_id": u} for u in users]
).to_df()
online

# %%
assert np.allclose(online.set_index("user_id").loc[users, names], newest.loc[users, names])

# %% [markdown]
# ## A point-in-time training set
# One row per impression, labelled by the same user's actions on the same post within 24 h, with the
# `ranker_v1` service's features as Feast's `get_historical_features` joins them: for each feature view,
# the newest row *at or before* the impression time less `TrainingSetConfig.lookback_ms`.

# %%
training = build_training_set(store, engine, TrainingSetConfig())
labels = list(LABELS)
print(f"{len(training):,} impressions × {len(service_columns('ranker_v1'))} features; label rates:")
display(training[labels].mean().rename("rate").to_frame().T, training.head(3))

# %% [markdown]
# ## No leakage, demonstrated
# For two views that change with engagement (a post's counts; a user–author pair's interactions), redo
# the join by hand from the parquet rows: `merge_asof` backward, i.e. the newest row strictly before the
# impression. Feast's values must be exactly these, so no row written after an impression (the like it
# led to, say) can reach it. For contrast, the *leaky* join (the newest row overall, what a naive
# "current features" lookup would give) differs on many rows: the gap a leak would have put in training.


# %%
def as_of(view: str, features: list[str]) -> pd.DataFrame:
    keys = list(VIEWS[view][0])
    history = pd.read_parquet(parquet_path(config.data_dir, view))[[*keys, TIMESTAMP, *features]]
    history = history.rename(columns={TIMESTAMP: "row_ts"})
    history["at"] = history["row_ts"]
    wanted = training[["impression_id", *keys, "impression_ts"]].copy()
    wanted["at"] = pd.to_datetime(wanted["impression_ts"] - TrainingSetConfig().lookback_ms, unit="ms", utc=True)
    joined = pd.merge_asof(wanted.sort_values("at"), history.sort_values("at"), on="at", by=keys)
    return joined.set_index("impression_id").loc[training["impression_id"]]


checks = {"post_stats": ["post_likes_total", "post_impressions_total"], "user_author": ["ua_interactions_28d"]}
leak_rates, leaky_values = {}, {}
for view, features in checks.items():
    joined = as_of(view, features)
    keys = list(VIEWS[view][0])
    assert (joined["row_ts"] < pd.to_datetime(joined["impression_ts"], unit="ms", utc=True)).all(), view
    assert np.array_equal(joined[features].to_numpy(), training[features].to_numpy()), f"{view} leaks"
    at_keys = pd.MultiIndex.from_frame(training[keys]) if len(keys) > 1 else training[keys[0]]
    leaky = newest_rows(view)[features].reindex(at_keys)
    for feature in features:
        leaky_values[feature] = leaky[feature].to_numpy()
        leak_rates[feature] = float((leaky_values[feature] != training[feature].to_numpy()).mean())
pd.Series(leak_rates, name="rows a leaky join would change").to_frame()

# %%
# The leak would be real: the newest values differ from the point-in-time ones on a good share of rows.
assert leak_rates["post_impressions_total"] > 0.5
# Counts only grow: the leaky value is never below the point-in-time one.
assert (leaky_values["post_likes_total"] >= training["post_likes_total"].to_numpy()).all()

fig, ax = plt.subplots(figsize=(7, 3.5))
shown = [training["post_impressions_total"], leaky_values["post_impressions_total"]]
ax.hist(shown, bins=30, label=["point in time", "leaky (newest row)"])
ax.set(title="post_impressions_total in the training set", xlabel="value", ylabel="impressions")
ax.legend()
plt.show()

# %% [markdown]
# ## The train/serve skew check, and how to read it
# `check_skew` takes recent impressions and compares, feature by feature, what serving saw with what the
# training join gives for the same impression. Serving's value is *known* when the impression logged its
# features (the model pipeline logs them) or when the online row is provably unchanged since (older than
# the impression). `compared` counts those; `mismatch` is the share of them that differ. A feature above
# the threshold means serving and training compute it differently: the model would be scored on
# features it never trained on. `pixelrank features skew` prints the same table and exits 1 then.
#
# Here the sessions were served chronologically, without a ranker, so no impression logged its
# features, and the online rows of the views that change (counts, pairs) are newer than the sampled
# impressions: only the static post features and the request-time age can be compared. On a world the
# model pipeline served (`pixelrank demo`, notebook 05), the logged rows make every column comparable.

# %%
skew = check_skew(store, engine, SkewConfig(sample=500))
table = pd.DataFrame({"compared": skew.compared, "mismatch": skew.mismatch})
print(f"{skew.rows} impressions sampled, {skew.logged} with logged features; failing: {skew.failing or 'none'}")
table[table["compared"] > 0].sort_values("compared", ascending=False).head(12)

# %%
assert skew.rows == 500 and table["compared"].sum() > 0
assert skew.ok, skew.failing
