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
# # 01 · The world and its events
#
# pixelrank learns from events. Every change in the social core (a sign-up, a follow, a post, an
# impression, a like) writes one row to the transactional outbox, `events`, in the same transaction
# as the change. The feature store, the trainers and the simulator all read that table, and only it.
#
# This notebook seeds a small synthetic world as `pixelrank seed` does, plays feed sessions as
# `pixelrank simulate` does, and then looks at what was written: events by type over time, the follow
# graph's heavy tail, and engagement. Last, it opens the world's *hidden truth* (the interests that drive
# the simulated users), which the platform never reads, and checks that behaviour follows it.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scratch import scratch_world
from sqlalchemy import select

from social_core.db import make_engine
from social_core.models.accounts import User
from social_core.models.graph import Follow
from social_core.models.outbox import Event
from social_core.models.posts import Post
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.truth import load_truth
from training.simulation.world import WorldConfig

settings = scratch_world("01_world_and_events")
engine = make_engine(settings.db_url)
settings.home

# %% [markdown]
# ## Seed a world
# A `WorldConfig` is the whole recipe: the same seed gives the same world. Users sign up over the
# `history_days` before the world starts and follow each other then (by shared interests and by fame);
# during `days` they post.

# %%
world = WorldConfig(users=300, days=10, seed=0)
seeded = seed_world(engine, settings.home, world)
pd.Series(seeded.rows, name="rows written")

# %% [markdown]
# ## Play feed sessions
# Simulated users open their feed, scroll a page of a *policy* (here the chronological feed of the
# accounts they follow) and act on what they see by the hidden behaviour model. Impressions and actions
# go to the outbox like any client's would.

# %%
played = run_sessions(engine, settings.home, SessionConfig(sessions=2_000, policy="chronological", seed=0))
pd.Series({"sessions": played.sessions, "impressions": played.impressions, **played.actions, "events": played.events})

# %% [markdown]
# ## The outbox, by type over time
# Sign-ups and follows come first (the history before the world starts), posts through the days, and
# impressions with their actions once sessions are played.

# %%
events = pd.read_sql(select(Event.type, Event.created_at), engine)
events["created_at"] = pd.to_datetime(events["created_at"], utc=True)
by_type = events.groupby("type").agg(events=("type", "size"), first=("created_at", "min"), last=("created_at", "max"))
by_type.sort_values("events", ascending=False)

# %%
# Every row a seed or a session reported is in the outbox: nothing is written beside it.
assert len(events) == seeded.events + played.events
assert {"user_created", "follow", "post_created", "impression", "like"} <= set(by_type.index)
assert by_type.loc["impression", "events"] == played.impressions

# %%
daily = pd.crosstab(events["created_at"].dt.floor("D"), events["type"])
recent = daily[daily.index >= pd.Timestamp(world.start) - pd.Timedelta(days=3)]
fig, ax = plt.subplots(figsize=(10, 4))
for kind in recent.columns:
    ax.plot(recent.index, recent[kind], marker=".", label=kind)
ax.set(yscale="log", title="Events per day (log scale)", ylabel="events")
fig.autofmt_xdate()
ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
plt.show()

# %% [markdown]
# ## The follow graph has a heavy tail
# A few accounts (the world's celebrities, and the famous by a Pareto fitness) gather most of the
# follows: the reason the fan-out switches to pull for accounts above `celebrity_threshold`.
# The counters on `users` are kept by the social core in the same transaction as each follow.

# %%
users = pd.read_sql(select(User.id, User.followers_count, User.following_count, User.posts_count), engine)
follows = pd.read_sql(select(Follow.followee_id), engine)
assert users["followers_count"].sum() == len(follows), "the counters agree with the follow rows"

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
ranked = np.sort(users["followers_count"].to_numpy())[::-1]
left.loglog(np.arange(1, len(ranked) + 1), np.maximum(ranked, 0.8), ".")
left.set(title="Followers by rank", xlabel="rank", ylabel="followers")
right.hist(users["following_count"], bins=30)
right.set(title="Accounts followed per user", xlabel="following", ylabel="users")
plt.show()

top = ranked[: max(1, len(ranked) // 100)].sum() / ranked.sum()
print(
    f"the most followed account has {ranked[0]} followers, the median one {np.median(ranked):.0f}; "
    f"the top 1% hold {top:.0%}"
)
assert ranked[0] > 5 * np.median(ranked)

# %% [markdown]
# ## Engagement
# Most posts get no action at all and a few get many: engagement labels are rare, which is why the
# ranker trains one head per action with calibrated probabilities rather than one "engaged" label.

# %%
# Only rows that name a post: ids are 64-bit snowflakes, which a column with gaps (float64) would round.
on_posts = select(Event.type, Event.actor_id, Event.post_id).where(Event.post_id.is_not(None))
engaged = pd.read_sql(on_posts, engine)
actions = engaged[engaged["type"].isin(["like", "comment", "save", "share", "hide"])]
per_post = actions.groupby("post_id").size().reindex(pd.read_sql(select(Post.id), engine)["id"], fill_value=0)
per_user = engaged[engaged["type"] == "impression"].groupby("actor_id").size()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.hist(per_post, bins=range(int(per_post.max()) + 2), log=True)
left.set(title="Actions per post", xlabel="actions", ylabel="posts (log)")
right.hist(per_user, bins=30)
right.set(title="Impressions per user", xlabel="impressions", ylabel="users")
plt.show()
rates = actions["type"].value_counts() / played.impressions
rates.rename("per impression").to_frame()

# %%
assert (per_post == 0).mean() > 0.3, "most posts are never acted on"
assert rates["like"] > rates.drop("like").max(), "likes are the commonest action"

# %% [markdown]
# ## The hidden truth
# Beside the database, under `PIXELRANK_HOME/simulation/`, the seeder keeps what it drew: each user's
# interest over the topics, their activity, each post's topic and quality. Only the simulator reads it
# (the behaviour model and the *oracle* policy). Models must rediscover it from events alone, which is
# what makes the simulator a fair test: we can say how close a policy comes to the best possible one.

# %%
truth = load_truth(settings.home)
interests = pd.DataFrame(truth.interests, index=truth.user_ids).rename(columns=lambda k: f"topic {k}")
fig, ax = plt.subplots(figsize=(10, 3))
ax.imshow(truth.interests[:40].T, aspect="auto", cmap="Blues")
ax.set(title="Interests of 40 users over the topics", xlabel="user", ylabel="topic")
plt.show()
strongest = np.sort(truth.interests, axis=1)[:, ::-1]
print(
    f"a user's top topic holds {strongest[:, 0].mean():.0%} of their interest on average, the top 3 hold "
    f"{strongest[:, :3].sum(axis=1).mean():.0%} ({truth.interests.shape[1]} topics)"
)

# %% [markdown]
# Do users like what the truth says they are interested in? For every like, the liker's interest in the
# liked post's topic, against their interest in the topic of a post drawn at random.

# %%
user_row = {int(u): i for i, u in enumerate(truth.user_ids)}
post_row = {int(p): i for i, p in enumerate(truth.post_ids)}
likes = actions[actions["type"] == "like"]
likers = likes["actor_id"].map(user_row).to_numpy(np.int64)
liked_topic = truth.post_topic[likes["post_id"].map(post_row).to_numpy(np.int64)]
random_topic = truth.post_topic[np.random.default_rng(0).integers(0, truth.n_posts, len(likes))]
liked = truth.interests[likers, liked_topic].mean()
chance = truth.interests[likers, random_topic].mean()
print(f"interest in the liked post's topic {liked:.3f} vs a random post's {chance:.3f} ({len(likes):,} likes)")
assert liked > 1.5 * chance, "behaviour follows the hidden interests"
