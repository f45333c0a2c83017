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
# # 03 · Train and compare
#
# Here we train the three models the product serves: the two-tower retrieval model and both feed rankers
# (LightGBM heads and the torch multi-task net). Each job logs its run to MLflow and registers its model.
# Then we find those runs with `MlflowClient` and compare the rankers side by side: AUC per head,
# calibration, NDCG@10 and the features they lean on. Last, we move the registry's `champion` alias by
# hand (promote, then roll back) and check that serving would load the version the alias names.
# Everything runs on a small simulated world, so read the numbers as a demonstration, not as a benchmark.

# %%
from dataclasses import replace
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from scratch import scratch_world, with_history

settings = scratch_world("03_train_and_compare")
settings.home

# %% [markdown]
# ## The world to train on
#
# The rankers learn from logged impressions (a post shown at a position, and what the user then did), so we
# first need a world and some history. These are the CLI's own commands, in the order `pixelrank demo` runs
# them: seed users and posts, simulate feed sessions served in chronological order, relay the outbox, then
# `feast apply` and the batch feature build (the offline store the training sets are joined from);
# `with_history` (notebooks/scratch.py) runs them.

# %%
with_history(users=250, days=10, sessions=3_000)

# %% [markdown]
# ## Train the two-tower model
#
# The job config is a plain dataclass; we fill it from `settings` the way `pixelrank train two-tower` does
# (database, MLflow tracking URI, the feature store whose user features the user tower reads), with the
# 5 epochs `pixelrank demo` trains. `on_epoch` is the hook the CLI's progress bar uses: here it keeps the
# learning curve. The job trains (stopping early when validation recall stops improving), measures recall@K
# on a later slice of engagement, writes the model and its FAISS index, logs the run and registers the model
# as `pixelrank-two-tower`.

# %%
from features.store import FeatureStoreConfig
from training import two_tower

defaults = two_tower.TwoTowerJobConfig(home=settings.home, database_url=settings.db_url)
two_tower_config = replace(
    defaults,
    version="1",
    tracking_uri=settings.tracking_uri,
    train=replace(defaults.train, epochs=5, threads=1),
    features=FeatureStoreConfig(home=settings.home, redis_url=settings.redis_url),
)
epochs: list[dict[str, float]] = []
tower = two_tower.main(two_tower_config, on_epoch=lambda epoch, metrics: epochs.append({"epoch": epoch} | metrics))
display(pd.DataFrame(epochs).set_index("epoch").round(4))
print(f"best epoch: {tower.best_epoch}")
pd.Series(tower.recall, name="test recall@K").rename_axis("K").round(4)

# %% [markdown]
# Recall@K is the share of held-out engagements whose post is among the user's K nearest posts: it
# should rise with K, towards 1 when K covers the whole catalogue. The first version of a model has
# nothing to beat, so the registry made it champion.

# %%
recalls = [tower.recall[k] for k in sorted(tower.recall)]
assert all(0 <= r <= 1 for r in recalls) and recalls == sorted(recalls), "recall@K grows with K"
assert tower.decision is not None and tower.decision.promoted, tower.decision
print(
    f"{tower.decision.version.name} v{tower.decision.version.version}: {tower.decision.alias} ({tower.decision.reason})"
)

# %% [markdown]
# ## Train both rankers
#
# One job, two families: `model="lightgbm"` trains one booster per head (like, comment, save, share, hide;
# a head with too few positives is skipped) plus a LambdaRank booster, `model="torch"` a multi-gate
# mixture-of-experts network with one tower per head. Both read the same point-in-time training set and are
# evaluated on the same later requests (the *holdout*), so their numbers compare directly. The config's
# defaults are the CLI's (`pixelrank train ranker`: one thread, seed 0); `build_features=False` reuses the
# batch features built above (`--reuse-features`). The registry's gate then decides: the first ranker
# becomes champion; the second only if its holdout NDCG@10 beats the champion's, else `challenger`.

# %%
from training.ranker.job import RankerJobConfig
from training.ranker.job import main as train_ranker

rankers = {}
for number, family in enumerate(("lightgbm", "torch"), start=1):
    config = RankerJobConfig(
        home=settings.home,
        database_url=settings.db_url,
        redis_url=settings.redis_url,
        tracking_uri=settings.tracking_uri,
        model=family,
        version=str(number),
        build_features=False,
    )
    rankers[family] = train_ranker(config)
    decision = rankers[family].decision
    print(f"{family}: {rankers[family].sizes} → {decision.alias} ({decision.reason})")

# %%
lgb_result, torch_result = rankers["lightgbm"], rankers["torch"]
assert lgb_result.holdout_id == torch_result.holdout_id, "both rankers are measured on the same holdout"
assert lgb_result.decision.promoted and lgb_result.decision.champion is None, "the first ranker has nothing to beat"
assert torch_result.decision.champion.version == lgb_result.decision.version.version, "torch was gated against LightGBM"
assert torch_result.decision.promoted == (torch_result.ndcg_at_10 > lgb_result.ndcg_at_10), (
    "champion only if strictly better"
)

# %% [markdown]
# ## Find the runs in MLflow
#
# The job results above are what a notebook gets back; a reviewer starts from the tracking store instead.
# Each job logged into its own experiment (`two_tower`, `ranker`); `search_runs` returns their params,
# metrics and tags, so the runs line up as a table.

# %%
import mlflow
from mlflow import MlflowClient

mlflow.set_tracking_uri(settings.tracking_uri)  # for the `runs:/` artifact reads below too
client = MlflowClient(settings.tracking_uri, registry_uri=settings.tracking_uri)
experiments = {e.name: e.experiment_id for e in client.search_experiments()}
runs = client.search_runs(list(experiments.values()), order_by=["attributes.start_time ASC"])
table = pd.DataFrame(
    {
        "experiment": next(name for name, id_ in experiments.items() if id_ == run.info.experiment_id),
        "run": run.info.run_name,
        "family": run.data.tags.get("model_family", "two-tower"),
        "holdout": run.data.tags.get("holdout_id", "-"),
        "train rows": run.data.params.get("train_rows", run.data.params.get("train_examples")),
        "test rows": run.data.params.get("test_rows", run.data.params.get("test_examples")),
        "NDCG@10": run.data.metrics.get("test_ndcg_at_10"),
        "recall@100": run.data.metrics.get("test_recall_at_100"),
        "run_id": run.info.run_id[:8],
    }
    for run in runs
)
table

# %%
ranker_runs = {run.data.tags["model_family"]: run for run in runs if "model_family" in run.data.tags}
assert {run.info.run_id for run in runs} == {tower.run_id, lgb_result.run_id, torch_result.run_id}, "one run per job"
for family, result in rankers.items():
    logged = ranker_runs[family].data.metrics
    assert all(np.isclose(logged[name], value) for name, value in result.metrics.items()), family

# %% [markdown]
# Runs compare only on the same holdout. To find the best ranker, filter on the run's `holdout_id` tag and
# order by the headline metric: that is the run whose model the gate made champion.

# %%
from training import registry

best = client.search_runs(
    [experiments["ranker"]],
    filter_string=f"tags.holdout_id = '{lgb_result.holdout_id}'",
    order_by=["metrics.test_ndcg_at_10 DESC"],
    max_results=1,
)[0]
champion = registry.champion_of(client, registry.RANKER)
print(f"best on holdout {lgb_result.holdout_id}: run {best.info.run_name}; champion: v{champion.version}")
assert best.info.run_id == champion.run_id, "the champion is the best run on the holdout"

# %% [markdown]
# ## AUC per head
#
# Each head is a binary classifier ("will this user like / save / … this post?"), and AUC says how well it
# orders positives before negatives: 0.5 is a coin, 1 is perfect. Rare heads (comment, share) have only a
# handful of positives in the holdout, so their AUC is noisy on a world this small; the table beside it
# also gives each head's log-loss, calibration error (`ece`), base rate and mean prediction.

# %%
heads = [head for head in lgb_result.heads if head in torch_result.heads]
per_head = pd.DataFrame(
    {
        (name, family): [ranker_runs[family].data.metrics.get(f"test_{name}_{head}") for head in heads]
        for name in ("auc", "logloss", "ece", "base_rate", "mean_prediction")
        for family in rankers
    },
    index=pd.Index(heads, name="head"),
)
display(per_head.round(4))

auc = per_head["auc"]
axes = auc.plot.bar(figsize=(7, 3.5), rot=0, title="holdout AUC per head")
axes.axhline(0.5, color="grey", linestyle="--", linewidth=1)
axes.set(ylim=(0, 1), ylabel="AUC")
plt.show()

# %%
assert auc.notna().all().all() and ((auc > 0) & (auc < 1)).all().all(), auc
assert (auc.loc["like"] > 0.5).all(), "the most common action is learnt better than chance by both"

# %% [markdown]
# ## Calibration
#
# The value model adds the heads' probabilities with weights (a save is worth three likes), so a head must
# be *calibrated*: among posts it gives 5 %, about 5 % should be liked. Each run logged its reliability
# table (`calibration.json`: equal-count bins of the predicted probability, with the observed rate in each).
# On these log-log axes a calibrated head lies on the dashed diagonal; above it, the head under-predicts.


# %%
from mlflow.artifacts import load_dict


def logged_json(run_id: str, name: str) -> dict:
    return load_dict(f"runs:/{run_id}/{name}")


calibration = {family: logged_json(run.info.run_id, "calibration.json") for family, run in ranker_runs.items()}
figure, grid = plt.subplots(1, len(heads), figsize=(3.2 * len(heads), 3.4), squeeze=False)
for axes, head in zip(grid[0], heads, strict=True):
    points = []
    for family, tables in calibration.items():
        rows = [(r["mean_predicted"], r["observed_rate"]) for r in tables[head] if min(r.values()) > 0]
        if rows:
            axes.plot(*zip(*rows, strict=True), marker="o", label=family)
            points += [value for row in rows for value in row]
    low = min(points, default=1e-3)
    axes.plot([low, 1], [low, 1], color="grey", linestyle="--", linewidth=1)
    axes.set(xscale="log", yscale="log", title=head, xlabel="mean predicted")
    axes.grid(alpha=0.3)
grid[0][0].set_ylabel("observed rate")
grid[0][0].legend(fontsize="small")
figure.tight_layout()
plt.show()

# %%
for family, tables in calibration.items():
    for head in heads:
        counts = sum(row["count"] for row in tables[head])
        assert counts == rankers[family].sizes["test_rows"], "the bins cover every holdout impression"

# %% [markdown]
# ## NDCG@10: does the ranking improve on what was shown?
#
# The headline the registry's gate compares is NDCG@10 over holdout requests, ranked by the *value* of the
# heads. Two references sit beside it: the *logged order* (chronological, what the simulated users actually
# saw) and LightGBM's LambdaRank booster, which learns the order directly from graded relevance. A value
# ranking above the logged order is the reason to serve a model at all.

# %%
orders = {"value of the heads": "", "LambdaRank": "_lambdarank", "logged order": "_logged"}
ndcg = pd.DataFrame(
    {
        family: {label: result.metrics.get(f"test_ndcg_at_10{s}") for label, s in orders.items()}
        for family, result in rankers.items()
    }
)
display(ndcg.round(4))
axes = ndcg.T.plot.bar(figsize=(7, 3.5), rot=0, title="holdout NDCG@10 (the axis starts above 0)")
axes.set(ylim=(max(0.0, ndcg.min().min() - 0.1), 1), ylabel="NDCG@10")
axes.legend(loc="lower right", fontsize="small")
plt.show()

# %%
assert ndcg.loc["logged order", "lightgbm"] == ndcg.loc["logged order", "torch"], "same holdout, same logged order"
assert np.isnan(ndcg.loc["LambdaRank", "torch"]), "only LightGBM trains a LambdaRank booster"
assert all(0 < result.ndcg_at_10 <= 1 for result in rankers.values())

# %% [markdown]
# ## Feature importance
#
# Two views. LightGBM's *gain* (logged per booster as `gain_importance.json`) is how much each feature's
# splits reduced the loss while training; we sum it over the heads. *Permutation* importance (logged for
# both families as `feature_importance.json`) is how much the holdout log-loss grows when one column is
# shuffled: it works for any model, so it compares LightGBM with torch. A feature high in both is one the
# rankers really need; one near zero is a candidate to drop (or a sign its pipeline is broken).

# %%
from training.figures import feature_importance_figure

gains = pd.DataFrame(logged_json(lgb_result.run_id, "gain_importance.json"))
gain = gains.drop(columns="lambdarank", errors="ignore").sum(axis=1).sort_values(ascending=False)
figure = feature_importance_figure(list(gain.index), list(gain.values), top=15)
figure.axes[0].set(title="LightGBM gain, summed over the heads", xlabel="gain")
display(figure)

permutation = pd.DataFrame(
    {family: logged_json(run.info.run_id, "feature_importance.json") for family, run in ranker_runs.items()}
)
permutation.sort_values("lightgbm", ascending=False).head(10).round(4)

# %%
assert (gain >= 0).all() and gain.iloc[0] > 0, "gain is non-negative and some feature is used"
assert list(permutation.index.sort_values()) == sorted(gain.index), "both views cover the same features"
print("top 5 by gain:", ", ".join(gain.index[:5]))

# %% [markdown]
# ## The registry: champion, challenger, promote, roll back
#
# Serving follows the `champion` alias of each registered model, so moving the alias *is* the deploy.
# Training moves it only when a version wins on the same holdout; a reviewer can overrule that with
# `promote` (what `pixelrank models promote` calls), and an operator can undo it with `rollback`, which
# follows the `previous_champion` tag back to exactly the version that served before.


# %%
from serving.commands import models

models.list_()  # `pixelrank models list`

# %% [markdown]
# ### What serving sees
#
# The feed's ranker is a `ChampionModel`: it asks the registry which version `champion` names, downloads
# that version into the cache under `models/registry/` and loads it with the family's loader, beside the
# one serving, then swaps. Serving calls `refresh()` every `PIXELRANK_MODEL_REFRESH_S` seconds from a
# thread; here we call it ourselves, right after each move. We build it with the same `WatchConfig` and
# loader as the API's feed stack.

# %%
from serving.feed.ranker import load_family_model
from serving.models import ChampionModel, WatchConfig

watch = WatchConfig(settings.tracking_uri, registry.RANKER, settings.home / "models" / "registry")
serving_ranker = ChampionModel(watch, partial(load_family_model, compile_trees=settings.compiled_trees))


def champion_version() -> str:
    return registry.champion_of(client, registry.RANKER).version


def served() -> tuple[str, str]:
    """Serving's view after a refresh: the version it loaded and that model's family."""
    serving_ranker.refresh()
    loaded = serving_ranker.current()
    return loaded.version, loaded.model.family


family_of = {result.decision.version.version: family for family, result in rankers.items()}
first = champion_version()
now = served()
print(f"registry champion: v{first}; serving loads v{now[0]} ({now[1]})")
assert now == (first, family_of[first]), "serving loads the registry's champion"

# %% [markdown]
# Now a reviewer overrules the gate: promote the other ranker (the one that is not champion), and watch
# serving follow. The new champion remembers which version it replaced, so `rollback` gives the alias back.

# %%
other = next(version for version in family_of if version != first)
registry.promote(registry.RANKER, other, client=client)
models.list_(name=registry.RANKER)
now = served()
print(f"after promote: registry champion v{champion_version()}; serving loads v{now[0]} ({now[1]})")
assert champion_version() == other, "promote moved the alias"
assert now == (other, family_of[other]), "serving follows the promoted champion"

# %%
registry.rollback(registry.RANKER, client=client)
models.list_(name=registry.RANKER)
now = served()
print(f"after rollback: registry champion v{champion_version()}; serving loads v{now[0]} ({now[1]})")
assert champion_version() == first, "rollback restored the champion that served before"
assert now == (first, family_of[first]), "serving follows the rollback"

# %% [markdown]
# The two-tower model is followed the same way, except that serving keeps using the version's local folder
# (the relay adds new posts to its index there): `served_folder` names the folder of the champion.

# %%
from serving.two_tower import served_folder

folder = served_folder(settings, registry.TWO_TOWER, client)
print("serving's two-tower:", folder)
assert folder == tower.folder and registry.champion_of(client, registry.TWO_TOWER).run_id == tower.run_id

# %% [markdown]
# ## From the command line
#
# The same steps, for a terminal: `pixelrank train all` (or `train two-tower`, `train ranker --model torch`)
# trains and registers; `pixelrank models list` shows the table above; `pixelrank models promote
# pixelrank-ranker VERSION` and `pixelrank models rollback pixelrank-ranker` move the alias, and a running
# server picks the champion up within `PIXELRANK_MODEL_REFRESH_S` seconds, without a restart.
