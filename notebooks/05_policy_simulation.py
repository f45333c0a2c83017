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
# # 05 · Policy simulation
#
# Offline metrics score a model on logs another policy chose; a simulation closes the loop. Simulated
# users open their feed, the *policy* picks the page, and they act on it by the world's hidden behaviour
# model, so we can measure what a feed policy would do to engagement. We compare four policies on the same
# sessions (same users, same times, same starting state): the chronological feed of followed accounts, the
# popular feed, the `model` policy (the product's own ranking pipeline over the trained two-tower and
# ranker) and the `oracle`, which ranks by the hidden truth and is the ceiling. Then we run the loop the
# product lives in: serve the model, log what it served, retrain on those logs, serve again, twice, and
# watch how close to the oracle it gets.

# %%
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from IPython.utils.capture import capture_output
from rich.console import Console
from scratch import scratch_world, with_history

settings = scratch_world("05_policy_simulation")
settings.home

# %% [markdown]
# ## A world with a history, and a first model
#
# The CLI's own commands, in the order `pixelrank demo` runs them: seed a small world, simulate feed
# sessions served chronologically (a new app's only feed, and the training data), relay the outbox,
# `feast apply` and the batch feature build (`with_history`, notebooks/scratch.py), then `pixelrank train
# all`: the two-tower model and the LightGBM ranker, registered in MLflow as the champions. One thread per
# job keeps the numbers reproducible.

# %%
from serving.commands import models, train, worker

with_history(users=150, days=7, sessions=1_500, oracle_sessions=200)
train.all_(model=train.Family.lightgbm, version="round0", epochs=3, threads=1)

# %% [markdown]
# ## Four policies on the same sessions
#
# `run_sessions` is what `pixelrank simulate` runs. A `SessionConfig` with the same `seed` draws the same
# session users and times for every policy, but playing sessions changes the world (what each user has
# seen, what is popular), so each heuristic policy plays on a copy of the world as it is now; the model
# plays on the world itself, and its sessions become the next round's training data.
# `register_model_policy(settings, engine, find_ranker(settings))` wires the `model` policy exactly as the
# CLI does: the feed endpoint's pipeline (sources, filters, the champion ranker, value model, diversity)
# on the simulated clock.
#
# Two measures per policy. *Engagement per session* counts the likes, comments, saves and shares the
# simulated users actually made (a random draw). *vs oracle* is the hidden expected engagement of the
# pages the policy served, over the oracle's on the very same sessions and state: no sampling noise, and
# comparable across different sessions and states.

# %%
from serving.settings import Settings
from serving.simulation_policy import find_ranker, register_model_policy
from social_core.db import make_engine
from training.simulation.report import sessions_table
from training.simulation.sessions import SessionConfig, SessionReport, run_sessions

SESSIONS = 200  # per policy run; the oracle is evaluated on every one of them
EVALUATION_SEED = 7


def play(home: Path, policy: str, seed: int) -> tuple[SessionReport, str | None]:
    """`pixelrank simulate --policy POLICY --seed SEED` on the world under `home`: its report, and the ranker
    version that served (None for the heuristic policies)."""
    world = Settings(home=home)
    engine = make_engine(world.db_url)
    try:
        built = register_model_policy(world, engine, find_ranker(world)).built if policy == "model" else []
        config = SessionConfig(sessions=SESSIONS, policy=policy, seed=seed, oracle_sessions=SESSIONS)
        return run_sessions(engine, home, config), built[-1].version if built else None
    finally:
        engine.dispose()


reports: dict[str, SessionReport] = {}
for policy in ("chronological", "popular", "oracle"):
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(shutil.copytree(settings.home, Path(folder) / "world"))
        reports[policy], _ = play(copy, policy, EVALUATION_SEED)
reports["model"], first_ranker = play(settings.home, "model", EVALUATION_SEED)
Console(width=110).print(sessions_table(list(reports.values())))

# %%
COLUMNS = ["sessions", "impressions", "engagement_per_session", "hides_per_session", "like_rate", "oracle_ratio"]
policies = pd.DataFrame({name: report.as_dict() for name, report in reports.items()}).T[COLUMNS].astype(float)
policies["expected_per_session"] = [r.expected / r.oracle_sessions for r in reports.values()]
policies["oracle_expected_per_session"] = [r.oracle_expected / r.oracle_sessions for r in reports.values()]
display(policies.round(3))

figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
order = ["chronological", "popular", "model", "oracle"]
colours = ["tab:blue", "tab:blue", "tab:orange", "tab:grey"]
policies.loc[order, "engagement_per_session"].plot.bar(ax=axes[0], rot=0, color=colours)
axes[0].set(title="engagement per session (sampled)", xlabel="")
policies.loc[order, "oracle_ratio"].plot.bar(ax=axes[1], rot=0, color=colours)
axes[1].set(title="hidden expected engagement vs oracle", xlabel="", ylim=(0, 1.05))
figure.suptitle(f"{SESSIONS} sessions, the same users and times for every policy")
figure.tight_layout()
plt.show()

# %% [markdown]
# The oracle is far ahead: it knows each user's hidden interests and reads every recent post, which no
# policy can. Its ratio is 1 by definition, and no policy's expected engagement may exceed it on the same
# sessions. Popular beats chronological: the accounts a user follows post too little to fill a good page,
# and a page of the world's most engaging recent posts does better. The first model learned only from
# chronological logs, where every labelled impression is a followed account's post: it can retrieve
# out-of-network posts (two-tower, popular sources) but has never seen how users react to them, so it
# starts close to the feed it learned from.

# %%
assert set(policies.index) == {"chronological", "popular", "model", "oracle"}
assert (policies["sessions"] == SESSIONS).all(), "every policy played the same number of sessions"
assert policies.loc["oracle", "oracle_ratio"] == 1.0, "the oracle is its own ceiling"
assert (policies["oracle_ratio"] <= 1.0).all(), "no policy beats the oracle in expectation on the same sessions"
others = policies.drop("oracle")
assert (policies.loc["oracle", "engagement_per_session"] > others["engagement_per_session"]).all(), "nor in fact"
assert policies.loc["popular", "oracle_ratio"] > policies.loc["chronological", "oracle_ratio"]

# %% [markdown]
# ## Closing the loop: two retraining rounds
#
# The model's sessions are in the world's logs now, impressions of out-of-network posts included. Each
# round relays the outbox, runs `pixelrank train all` again (it rebuilds the batch features from the
# outbox, so both models learn from the model's own sessions), serves the new ranker and plays a fresh set
# of sessions with it (a new seed: other users and times).
#
# The registry's gate promotes a retrained ranker only when it beats the champion, both measured on the
# newest holdout; in a closed loop that holdout is made of the champion's own choices, so the gate may keep
# the old one (the line each round prints says which). To play the retrained ranker either way, we promote
# it by hand, as a reviewer would with `pixelrank models promote`.
#
# The simulator's calendar is the seeded week, and a user is never shown a post twice, so each round finds
# fewer unseen good posts: the oracle's own expected engagement per session falls from round to round. That
# is why rounds are compared by the ratio to the oracle on their own sessions, not by raw engagement.

# %%
from mlflow import MlflowClient

from training import registry

rounds: dict[int, SessionReport] = {0: reports["model"]}
served = {0: first_ranker}
for number in (1, 2):
    with capture_output():  # the CLI's tables, shown once above
        worker.worker(once=True)
        train.all_(model=train.Family.lightgbm, version=f"round{number}", epochs=3, threads=1)
    newest = registry.list_versions(registry.RANKER, client=MlflowClient(settings.tracking_uri))[0]
    print(f"round {number}: {newest.name} v{newest.version} is {', '.join(newest.aliases)} by the gate")
    if "champion" not in newest.aliases:
        models.promote(registry.RANKER, newest.version)
    rounds[number], served[number] = play(settings.home, "model", EVALUATION_SEED + number)

models.list_(name=registry.RANKER)

# %%
loop = pd.DataFrame(
    {
        "ranker": served,
        "engagement_per_session": {n: r.engagement_per_session for n, r in rounds.items()},
        "vs_oracle": {n: r.oracle_ratio for n, r in rounds.items()},
        "oracle_expected_per_session": {n: r.oracle_expected / r.oracle_sessions for n, r in rounds.items()},
    }
).rename_axis("round")
display(loop.round(3))

figure, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
axes[0].plot(loop.index, loop["vs_oracle"], marker="o", color="tab:orange", label="model")
for policy, style in (("chronological", ":"), ("popular", "--")):
    axes[0].axhline(policies.loc[policy, "oracle_ratio"], color="tab:blue", linestyle=style, label=policy)
axes[0].set(title="model vs oracle, per round", xlabel="round", ylabel="expected engagement / oracle's", ylim=(0, None))
axes[0].legend()
axes[1].plot(loop.index, loop["engagement_per_session"], marker="o", color="tab:orange", label="model (sampled)")
axes[1].plot(loop.index, loop["oracle_expected_per_session"], marker="s", color="tab:grey", label="oracle (expected)")
axes[1].set(title="engagement per session, per round", xlabel="round", xticks=list(loop.index))
axes[1].legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# Each round the model serves a wider feed, logs how users react to it, and learns from that: its ratio
# to the oracle rises round after round and ends above both heuristic feeds, the chronological one it first
# learned from and the popular one.
# Raw engagement per session need not rise with it, because the oracle's ceiling (grey) falls as the
# world's week gets used up. This is also why a ranker is never judged on its first training set alone:
# the logs a policy writes decide what the next model can learn.

# %%
assert list(loop["ranker"]) == [f"{registry.RANKER}/{v}" for v in (1, 2, 3)], "each round serves its own ranker"
assert all(r.sessions == SESSIONS and r.oracle_sessions == SESSIONS for r in rounds.values())
assert loop["vs_oracle"].is_monotonic_increasing and loop["vs_oracle"].is_unique, "each retraining round helps"
assert loop.loc[2, "vs_oracle"] > policies.loc[["chronological", "popular"], "oracle_ratio"].max(), "ends above both"
assert (loop["vs_oracle"] < 1).all(), "and still below the ceiling"
assert loop["oracle_expected_per_session"].iloc[-1] < loop["oracle_expected_per_session"].iloc[0], "the week wears"

# %% [markdown]
# ## Off-policy evaluation: what would another feed have earned?
#
# Every number above came from *playing* a policy. In the product a ranker cannot be tried on people before
# it is trusted, and the offline NDCG judges it only on the posts the old policy chose. Off-policy
# evaluation answers from logs instead: `pixelrank simulate --policy model --explore 1` serves the
# champion's feed with its first slots drawn (Plackett–Luce over the ranked head), each impression logged
# with its exact propensity and the first with the whole draw. `training.off_policy` then lets any ranker
# re-rank each logged pool, arranges it as the feed does (topic spread, author runs), and weighs what was
# shown under a position-based click model: IPS, self-normalised IPS and doubly robust, with bootstrap
# intervals. `pixelrank models compare` prints two versions side by side; `train ranker` gates
# promotion on it. benchmarks/off_policy.py checks the estimates against truth runs.

# %%
from ranking.value_model import ValueWeights
from serving.commands import simulate
from serving.commands.estimates import estimates_table
from training.off_policy.evaluate import ENGAGEMENT, estimate_model, feed_arrangement
from training.off_policy.logs import load_explored
from training.ranker.job import load_version

EXPLORED = 300
simulate.simulate(sessions=EXPLORED, policy="model", seed=21, page_size=10, oracle_sessions=0, explore=1.0)
models.compare("3", "1")

# %%
client = MlflowClient(settings.tracking_uri)
champion = load_version(client, registry.RANKER, "3")
engine = make_engine(settings.db_url)
logs = load_explored(engine, champion.feature_names)
engine.dispose()
variants = {"default weights": {}, "engagement weights": {"comment": 1.0, "save": 1.0, "share": 1.0, "hide": -1.0}}
arrangement = feed_arrangement(settings.home)  # re-ranked pools are arranged as the feed arranges them
estimates = {
    name: estimate_model(
        logs, champion, champion, ValueWeights().override(w).as_dict(), reward_weights=ENGAGEMENT, selectors=arrangement
    )
    for name, w in variants.items()
}
Console(width=110).print(estimates_table(f"engagement per session, from {len(logs)} explored sessions", estimates))

# %% [markdown]
# Each cell is an estimate with its 90% bootstrap interval; "effective requests" says how many of the
# logged sessions the estimate really rests on (fewer when a policy rarely agrees with the draw). A few
# hundred sessions give wide intervals: the gate needs its lower bound above the champion's estimate, so
# it promotes only when the logs are sure enough.

# %%
assert 0.85 * EXPLORED <= len(logs) <= EXPLORED, "nearly every session explored (not: empty pages, one candidate)"
for found in estimates.values():
    assert all(e.low <= e.value <= e.high and e.ess > 0 for e in found.values())
