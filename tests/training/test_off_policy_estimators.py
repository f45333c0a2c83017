"""Slate off-policy estimators: closed-form cases, unbiasedness in a simulated item-position world, validation."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.exploration_math import marginals, sample
from training.off_policy.estimators import (
    ESTIMATORS,
    SlateLogs,
    TargetPolicy,
    deterministic_match,
    estimate,
    position_based,
)


def full_logs(reward: np.ndarray, propensity: np.ndarray | float) -> SlateLogs:
    reward = np.asarray(reward, dtype=np.float64)
    return SlateLogs(reward, np.broadcast_to(propensity, reward.shape).astype(np.float64), np.ones(reward.shape, bool))


def test_on_policy_is_the_mean_reward() -> None:
    rng = np.random.default_rng(0)
    reward = rng.random((50, 4))
    shown = rng.integers(0, 9, (50, 4))
    target = TargetPolicy(deterministic_match(shown, shown))
    out = estimate(full_logs(reward, 1.0), target, bootstrap=0)
    assert set(out) == {"ips", "snips"}  # the default list, without a reward model
    for name in ("ips", "snips"):
        assert out[name].value == pytest.approx(reward.sum(axis=1).mean())
        assert out[name].low == out[name].high == out[name].value
        assert out[name].ess == pytest.approx(50)
        assert out[name].n == 50


def test_two_items_one_position_by_hand() -> None:
    # Uniform logging over items A and B in one slot: A, A, A, B shown, rewards 1, 0, 1, 1.
    logs = full_logs(np.array([[1.0], [0.0], [1.0], [1.0]]), 0.5)
    always_a = estimate(logs, TargetPolicy(np.array([[1.0], [1.0], [1.0], [0.0]])), bootstrap=0)
    assert always_a["ips"].value == pytest.approx((2 + 0 + 2 + 0) / 4)
    assert always_a["snips"].value == pytest.approx(4 / 6)
    assert always_a["ips"].ess == pytest.approx(6**2 / (3 * 2**2))
    # A stochastic target: A with 0.8, B with 0.2, so the weights are 1.6 for A and 0.4 for B.
    mixed = estimate(logs, TargetPolicy(np.array([[0.8], [0.8], [0.8], [0.2]])), bootstrap=0)
    assert mixed["ips"].value == pytest.approx((1.6 + 0 + 1.6 + 0.4) / 4)
    assert mixed["snips"].value == pytest.approx(3.6 / 5.2)
    assert mixed["ips"].ess == pytest.approx(5.2**2 / (3 * 1.6**2 + 0.4**2))


def test_doubly_robust_and_direct_by_hand() -> None:
    logs = full_logs(np.array([[1.0], [0.0], [1.0], [1.0]]), 0.5)
    target = TargetPolicy(
        np.array([[1.0], [1.0], [1.0], [0.0]]),
        reward_hat_shown=np.array([[0.5], [0.5], [0.5], [0.9]]),
        reward_hat_target=np.full((4, 1), 0.5),
    )
    out = estimate(logs, target, bootstrap=0)
    assert list(out) == list(ESTIMATORS)
    assert out["dm"].value == pytest.approx(0.5)
    assert out["dr"].value == pytest.approx(0.5 + (2 * 0.5 + 2 * -0.5 + 2 * 0.5 + 0) / 4)


def test_position_without_overlap_adds_nothing_to_snips() -> None:
    logs = full_logs(np.ones((3, 2)), 0.5)
    probability = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])  # the target never matches at position 1
    out = estimate(logs, TargetPolicy(probability), ["snips"], bootstrap=20)
    assert out["snips"].value == pytest.approx(1.0)
    assert out["snips"].ess == pytest.approx(2.0)  # only position 0 counts
    assert estimate(logs, TargetPolicy(np.zeros((3, 2))), ["snips"], bootstrap=0)["snips"].ess == 0.0


def test_equal_weights_have_full_effective_size() -> None:
    logs = full_logs(np.random.default_rng(1).random((40, 3)), 0.25)
    assert estimate(logs, TargetPolicy(np.full((40, 3), 0.5)), bootstrap=0)["ips"].ess == pytest.approx(40)


def test_unserved_positions_are_ignored() -> None:
    served = np.array([[True, False], [True, True]])
    logs = SlateLogs(np.array([[1.0, np.nan], [0.0, 1.0]]), np.array([[0.5, np.nan], [0.5, 0.25]]), served)
    out = estimate(logs, TargetPolicy(np.array([[1.0, 1.0], [1.0, 1.0]])), ["ips"], bootstrap=0)
    assert out["ips"].value == pytest.approx((2.0 + 0.0 + 4.0) / 2)


def test_bootstrap_is_seeded() -> None:
    rng = np.random.default_rng(2)
    logs = full_logs(rng.random((200, 3)), 0.5)
    target = TargetPolicy(rng.random((200, 3)))
    first, again = estimate(logs, target, seed=3), estimate(logs, target, seed=3)
    assert first == again
    assert first["ips"].low < first["ips"].value < first["ips"].high
    assert first["ips"].as_dict() == {
        "estimator": "ips",
        "value": first["ips"].value,
        "low": first["ips"].low,
        "high": first["ips"].high,
        "ess": first["ips"].ess,
        "n": 200,
    }


LOGITS = np.array([1.0, 0.6, 0.2, -0.2, -0.6, -1.0])  # the logging policy over six items


def simulated(theta: np.ndarray, rho: np.ndarray, seed: int, n: int = 20_000) -> tuple[np.ndarray, ...]:
    """(μ, shown, reward): n slates drawn by PL(LOGITS), reward at position k for item a ~ Bernoulli(θ_k ρ_a)."""
    mu = marginals(LOGITS, len(theta))
    rng = np.random.default_rng(seed)
    shown = np.stack([sample(LOGITS, len(theta), rng) for _ in range(n)])
    return mu, shown, (rng.random(shown.shape) < theta * rho[shown]).astype(np.float64)


def test_unbiased_in_an_item_position_world() -> None:
    # High click rates keep the Bernoulli noise, which no reward model removes, small next to the
    # importance weights' noise that DR cancels.
    theta = np.array([1.0, 0.95, 0.9])
    rho = np.array([0.98, 0.95, 0.9, 0.85, 0.8, 0.75])
    mu, shown, reward = simulated(theta, rho, seed=0)
    (n, slots), positions = shown.shape, np.arange(3)
    logs = SlateLogs(reward, mu[shown, positions], np.ones((n, slots), bool))

    ranking = np.array([2, 0, 4])  # not the logging policy's mode (0, 1, 2)
    true_value = float((theta * rho[ranking]).sum())
    target = TargetPolicy(
        deterministic_match(shown, np.broadcast_to(ranking, shown.shape)),
        reward_hat_shown=theta * rho[shown],
        reward_hat_target=np.broadcast_to(theta * rho[ranking], shown.shape),
    )
    out = estimate(logs, target, seed=1)

    for name in ("ips", "snips", "dr"):
        assert out[name].value == pytest.approx(true_value, rel=0.05), name
    for name in ("snips", "dr"):
        assert out[name].low <= true_value <= out[name].high, name
    assert out["dm"].value == pytest.approx(true_value)  # a perfect model needs no logs
    width = {name: out[name].high - out[name].low for name in out}
    assert width["dr"] < 0.6 * width["ips"]
    # Each position's ESS is about n · μ(target item at k), the share of logs that match it.
    assert out["ips"].ess == pytest.approx(n * mu[ranking, positions].mean(), rel=0.05)


def test_deterministic_match() -> None:
    shown = np.array([[3, 1, -1], [2, 2, 5]])
    target = np.array([[3, 2, -1], [2, 1, 5]])
    np.testing.assert_array_equal(deterministic_match(shown, target), [[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="shape"):
        deterministic_match(shown, target[:, :2])


def test_validation() -> None:
    logs = full_logs(np.ones((4, 2)), 0.5)
    target = TargetPolicy(np.ones((4, 2)))
    with pytest.raises(ValueError, match="no logged requests"):
        estimate(full_logs(np.zeros((0, 2)), 0.5), TargetPolicy(np.zeros((0, 2))))
    with pytest.raises(ValueError, match="probability"):
        estimate(logs, TargetPolicy(np.ones((4, 3))))
    with pytest.raises(ValueError, match="propensity"):
        estimate(SlateLogs(logs.reward, np.ones(4), logs.served), target)
    with pytest.raises(ValueError, match="served"):
        estimate(SlateLogs(logs.reward, logs.propensity, np.ones((3, 2), bool)), target)
    with pytest.raises(ValueError, match="reward"):
        estimate(SlateLogs(np.ones(4), logs.propensity, logs.served), target)
    zero = logs.propensity.copy()
    zero[2, 1] = 0.0
    with pytest.raises(ValueError, match="row 2"):
        estimate(SlateLogs(logs.reward, zero, logs.served), target)
    with pytest.raises(ValueError, match="reward_hat"):
        estimate(logs, target, ["ips", "dr"])
    with pytest.raises(ValueError, match="reward_hat"):
        estimate(logs, TargetPolicy(np.ones((4, 2)), reward_hat_shown=np.ones((4, 2))), ["dm"])
    with pytest.raises(ValueError, match="reward_hat_target"):
        estimate(logs, TargetPolicy(np.ones((4, 2)), np.ones((4, 2)), np.ones((4, 1))), ["dm"])
    with pytest.raises(ValueError, match="unknown"):
        estimate(logs, target, ["ips", "magic"])
    with pytest.raises(ValueError, match="alpha"):
        estimate(logs, target, alpha=1.0)


def test_position_based_weights_by_hand() -> None:
    # One request, two slots, θ = (1, 0.5). The logging policy put item 7 first, item 3 second.
    marginals = np.array([[[0.6, 0.3], [0.2, 0.5]]])  # μ(7 at 0), μ(7 at 1); μ(3 at 0), μ(3 at 1)
    shown, theta = np.array([[7, 3]]), np.array([1.0, 0.5])
    propensity, probability, examined = position_based(marginals, shown, np.array([[3, 9]]), theta)
    np.testing.assert_allclose(propensity, [[0.6 + 0.15, 0.2 + 0.25]])
    np.testing.assert_allclose(probability, [[0.0, 1.0]])  # the target puts 3 first, 7 nowhere
    np.testing.assert_allclose(examined, [1.5])
    _, _, short = position_based(marginals, shown, np.array([[3, -1]]), theta)
    np.testing.assert_allclose(short, [1.0])  # a target that fills one slot is examined there only
    with pytest.raises(ValueError, match="K"):
        position_based(marginals[:, :1], shown, shown, theta)


def test_unbiased_in_a_position_based_world_with_far_more_evidence_than_item_position() -> None:
    # θ_k ρ_a is the position-based model exactly.
    theta = np.array([0.9, 0.6, 0.4])
    rho = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    mu, shown, reward = simulated(theta, rho, seed=4)
    n, slots = shown.shape
    ranking = np.broadcast_to(np.array([2, 0, 4]), shown.shape)
    true_value = float((theta * rho[ranking[0]]).sum())
    served = np.ones((n, slots), bool)

    propensity, probability, examined = position_based(mu[shown], shown, ranking, theta)
    hat = {"reward_hat_shown": theta * rho[shown], "reward_hat_target": theta * rho[ranking]}
    logs = SlateLogs(reward, propensity, served, examination=theta)
    out = estimate(logs, TargetPolicy(probability, examined=examined, **hat), seed=1)
    for name in ("ips", "snips", "dr"):
        assert out[name].value == pytest.approx(true_value, rel=0.03), name
        assert out[name].low <= true_value <= out[name].high, name
    # The same logs weighed per position: unbiased too, but resting on far fewer requests.
    positions = np.arange(slots)
    item = estimate(SlateLogs(reward, mu[shown, positions], served), TargetPolicy(deterministic_match(shown, ranking)))
    assert out["ips"].ess > 2 * item["ips"].ess
    assert out["snips"].high - out["snips"].low < 0.7 * (item["snips"].high - item["snips"].low)


def test_position_based_snips_normalises_per_request() -> None:
    # Weights that are all 2 where the target fills its one slot: SNIPS undoes the scale, IPS does not.
    logs = SlateLogs(np.array([[1.0, 0.0], [0.0, 1.0]]), np.full((2, 2), 0.5), np.ones((2, 2), bool), np.ones(2))
    target = TargetPolicy(np.ones((2, 2)), examined=np.array([2.0, 2.0]))
    out = estimate(logs, target, ["ips", "snips"], bootstrap=0)
    assert out["ips"].value == pytest.approx(2.0)
    assert out["snips"].value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="examination"):
        estimate(SlateLogs(logs.reward, logs.propensity, logs.served, np.ones(3)), target)
