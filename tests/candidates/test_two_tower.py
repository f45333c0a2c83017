from __future__ import annotations

import numpy as np
import pytest
import torch

from candidates.two_tower.embed import embed_new_posts, embed_posts, embed_users, post_table
from candidates.two_tower.inputs import Buckets, PostTable, hash_ids, user_inputs
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from candidates.two_tower.task import TaskConfig, TwoTowerTask
from candidates.two_tower.trainer import Examples, TrainConfig, fit, log_q, make_batch, sequence_histories

SMALL = TwoTowerConfig(
    dim=16,
    embedding_dim=16,
    hidden=32,
    history=5,
    max_tokens=4,
    user_dense=3,
    post_stats=2,
    buckets=Buckets(users=256, posts=1024, authors=128, tokens=256),
)
TOPICS = (("#cats", "#kitten", "meow"), ("#cars", "#drift", "engine"))


def toy_world(n_users: int = 40, n_posts: int = 120, per_user: int = 12, seed: int = 0) -> tuple[PostTable, Examples]:
    """Users like one of two topics; posts carry their topic's words; each user engages only their topic."""
    rng = np.random.default_rng(seed)
    topic = np.arange(n_posts) % 2
    rows = [
        {
            "id": 10_000 + i,
            "author_id": 500 + int(topic[i]) * 10 + i % 5,
            "caption": " ".join(rng.choice(TOPICS[topic[i]], 2, replace=False)),
            "stats": [topic[i], 1.0],
        }
        for i in range(n_posts)
    ]
    table = post_table(rows, max_tokens=4, n_stats=2)
    users = np.repeat(np.arange(n_users), per_user)
    posts = np.concatenate(
        [rng.choice(np.flatnonzero(topic == u % 2), per_user, replace=False) for u in range(n_users)]
    )
    history = sequence_histories(users, table.post_ids[posts], SMALL.history)
    dense = np.zeros((len(users), 3), dtype=np.float32)
    return table, Examples(users + 1, history, posts, np.arange(len(users), dtype=np.float64), dense)


def test_towers_give_unit_vectors_of_the_configured_size() -> None:
    torch.manual_seed(0)
    model = TwoTower.build(SMALL)
    table, examples = toy_world()
    users = user_inputs(examples.user_ids[:7], examples.history[:7], np.zeros((7, 3), np.float32), SMALL.buckets)
    user, post = model(users, table.inputs(np.arange(7), SMALL.buckets))
    assert user.shape == (7, 16) and post.shape == (7, 16)
    assert torch.allclose(user.norm(dim=1), torch.ones(7), atol=1e-5)
    assert model.score(users, table.inputs(np.arange(7), SMALL.buckets)).shape == (7,)


def test_hashing_is_stable_and_keeps_padding_at_zero() -> None:
    hashed = hash_ids(np.array([-1, 0, 1, 123456789012]), 1024, 7)
    assert hashed[0] == 0 and (hashed[1:] > 0).all() and (hashed < 1024).all()
    assert (hashed == hash_ids(np.array([-1, 0, 1, 123456789012]), 1024, 7)).all()


def test_loss_decreases_and_training_is_reproducible() -> None:
    table, examples = toy_world()
    config = TrainConfig(epochs=4, batch_size=64, patience=10, learning_rate=1e-2, seed=1)
    results, weights = [], []
    for _ in range(2):
        torch.manual_seed(123)
        model = TwoTower.build(SMALL)
        results.append(
            fit(
                TwoTowerTask(model, TaskConfig(id_dropout=0.2)),
                table,
                examples,
                examples.subset(np.arange(len(examples)) % 10 == 0),
                config,
            )
        )
        weights.append(model.post_tower.token_embedding.weight.detach().clone())
    losses = [epoch["loss"] for epoch in results[0].history]
    assert losses[-1] < losses[0] - 0.5  # the floor is about ln(32): same-topic posts are interchangeable
    assert results[0].history == results[1].history
    assert torch.equal(weights[0], weights[1])


@pytest.mark.parametrize(
    ("task", "uniform_negatives"),
    [(TaskConfig(id_dropout=0.0, full_softmax=True), 0), (TaskConfig(id_dropout=0.0), 48)],
    ids=["full_softmax", "mixed_negatives"],
)
def test_full_softmax_and_mixed_negatives_train_to_a_finite_falling_loss(
    task: TaskConfig, uniform_negatives: int
) -> None:
    table, examples = toy_world()
    torch.manual_seed(0)
    config = TrainConfig(epochs=8, batch_size=64, learning_rate=1e-2, patience=10, uniform_negatives=uniform_negatives)
    result = fit(
        TwoTowerTask(TwoTower.build(SMALL), task), table, examples, examples.subset(examples.post_rows < 0), config
    )
    losses = [epoch["loss"] for epoch in result.history]
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0] - 0.5  # from about ln(120) down to near ln(60): the topic is learned


def test_full_softmax_is_the_exact_cross_entropy_over_the_whole_table() -> None:
    table, examples = toy_world()
    torch.manual_seed(0)
    task = TwoTowerTask(TwoTower.build(SMALL), TaskConfig(id_dropout=0.0, temperature=0.2, full_softmax=True))
    rows = np.arange(0, len(examples), 37)
    logq = log_q(examples.post_rows, len(table))
    batch = make_batch(task, table, examples, rows, logq, np.random.default_rng(0), uniform_negatives=0)
    with torch.no_grad():
        loss = task.loss(batch)
        users = task.model.user_tower(batch.users)
        scores = users @ task.model.post_tower(table.inputs(np.arange(len(table)), SMALL.buckets)).T / 0.2
        expected = torch.nn.functional.cross_entropy(scores, torch.from_numpy(examples.post_rows[rows]))
    assert torch.allclose(loss, expected, atol=1e-5)


def test_a_new_post_lands_near_its_topic_from_content_alone() -> None:
    table, examples = toy_world()
    torch.manual_seed(0)
    model = TwoTower.build(SMALL)
    fit(
        TwoTowerTask(model, TaskConfig(id_dropout=0.5, temperature=0.1)),
        table,
        examples,
        examples.subset(np.arange(len(examples)) % 10 == 0),
        TrainConfig(epochs=8, batch_size=64, learning_rate=1e-2, patience=10),
    )
    known = embed_posts(model, table)
    topic = np.arange(len(table)) % 2
    new = embed_new_posts(model, [{"id": 99_999, "author_id": 77_777, "caption": "#cats meow", "stats": [0, 1]}])
    similarity = known @ new[0]
    assert similarity[topic == 0].mean() > similarity[topic == 1].mean() + 0.2
    last = np.array([11, 23])  # the last examples of user 1 (topic 0) and user 2 (topic 1)
    users = embed_users(model, examples.user_ids[last], examples.history[last])  # toy dense features are zeros
    assert float(users[0] @ new[0]) > float(users[1] @ new[0])


def test_sequence_histories_hold_only_earlier_items_of_the_same_user() -> None:
    users = np.array([1, 1, 1, 2, 2])
    posts = np.array([10, 11, 12, 20, 21])
    assert sequence_histories(users, posts, 2).tolist() == [[-1, -1], [10, -1], [11, 10], [-1, -1], [20, -1]]
