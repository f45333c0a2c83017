"""Plackett–Luce draws, marginals and slate probabilities against enumeration and simulation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ranking.exploration_math import marginals, sample, slate_probability


def enumerated(logits: np.ndarray, k: int) -> np.ndarray:
    """(M, k) marginals by summing the probability of every ordered k-prefix."""
    out = np.zeros((len(logits), k))
    for prefix in itertools.permutations(range(len(logits)), k):
        out[list(prefix), np.arange(k)] += enumerated_probability(logits, prefix)
    return out


def enumerated_probability(logits: np.ndarray, prefix: tuple[int, ...]) -> float:
    w = np.exp(logits - logits.max())
    left = list(range(len(logits)))
    p = 1.0
    for a in prefix:
        p *= w[a] / w[left].sum()
        left.remove(a)
    return float(p)


def draws(logits: np.ndarray, k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, k) Gumbel-top-k draws at once: the same law as `sample`, which is too slow to call 200k times."""
    perturbed = logits[None, :] + rng.gumbel(size=(n, len(logits)))
    return np.argsort(-perturbed, axis=1)[:, :k]


def frequencies(slates: np.ndarray, m: int) -> np.ndarray:
    """(M, k) share of draws with item m at position j."""
    n, k = slates.shape
    counts = np.zeros((m, k))
    np.add.at(counts, (slates, np.broadcast_to(np.arange(k), slates.shape)), 1.0)
    return counts / n


def within_sampling_error(empirical: np.ndarray, exact: np.ndarray, n: int) -> bool:
    # Five binomial standard errors per entry, plus a floor for the entries whose exact value is ~0.
    return bool((np.abs(empirical - exact) <= 5 * np.sqrt(exact * (1 - exact) / n) + 1e-4).all())


@pytest.mark.parametrize("m", [4, 5, 6])
@pytest.mark.parametrize("spread", [1.0, 6.0])
def test_marginals_match_enumeration(m: int, spread: float) -> None:
    rng = np.random.default_rng(m * 10 + int(spread))
    logits = rng.uniform(-spread, spread, m)
    for k in range(1, m + 1):
        np.testing.assert_allclose(marginals(logits, k), enumerated(logits, k), rtol=0, atol=1e-6)


def test_full_marginals_are_doubly_stochastic() -> None:
    rng = np.random.default_rng(1)
    for logits in (rng.normal(size=12), rng.uniform(-6, 6, 12), rng.uniform(-40, 40, 12)):
        p = marginals(logits, len(logits))
        assert p.shape == (12, 12)
        np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-6)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
        assert (p >= 0).all()


def test_anchored_marginals_are_those_rows_of_the_whole() -> None:
    logits = np.random.default_rng(4).uniform(-3, 3, 40)
    anchors = np.array([39, 0, 17, 17, 5])
    np.testing.assert_allclose(marginals(logits, 10, anchors=anchors), marginals(logits, 10)[anchors], atol=1e-14)
    assert marginals(logits, 10, anchors=np.zeros(0, dtype=np.int64)).shape == (0, 10)


def test_truncated_marginals_columns_sum_to_one() -> None:
    logits = np.random.default_rng(2).uniform(-2.5, 2.5, 30)
    p = marginals(logits, 10)
    assert p.shape == (30, 10)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-6)
    assert (p.sum(axis=1) <= 1 + 1e-9).all()


def test_first_two_positions_in_closed_form() -> None:
    # Position 0 is the softmax; position 1 is Σ_b w_b / W · w_a / (W - w_b): exact checks at a pool size
    # where enumeration is out of reach.
    logits = np.random.default_rng(3).uniform(-2.5, 2.5, 30)
    w = np.exp(logits - logits.max())
    total = w.sum()
    first = w / total
    second = np.array([sum(w[b] / total * w[a] / (total - w[b]) for b in range(30) if b != a) for a in range(30)])
    p = marginals(logits, 10)
    np.testing.assert_allclose(p[:, 0], first, atol=1e-8)
    np.testing.assert_allclose(p[:, 1], second, atol=1e-8)


def test_marginals_match_simulated_draws() -> None:
    rng = np.random.default_rng(4)
    logits = rng.uniform(-2.5, 2.5, 30)
    exact = marginals(logits, 10)
    n = 200_000
    assert within_sampling_error(frequencies(draws(logits, 10, n, rng), 30), exact, n)


def test_sample_draws_plackett_luce() -> None:
    rng = np.random.default_rng(5)
    logits = rng.uniform(-2.0, 2.0, 8)
    n = 5_000
    slates = np.stack([sample(logits, 3, rng) for _ in range(n)])
    assert within_sampling_error(frequencies(slates, 8), marginals(logits, 3), n)


def test_sample_is_distinct_indices_best_first() -> None:
    rng = np.random.default_rng(6)
    logits = np.array([50.0, 0.0, 25.0, -10.0])
    drawn = sample(logits, 3, rng)
    assert drawn.tolist() == [0, 2, 1]  # gaps this large leave the Gumbel noise no say
    assert sample(logits, 10, rng).shape == (4,)  # k > M: the whole pool
    assert len(set(sample(rng.normal(size=20), 20, rng).tolist())) == 20
    assert sample(np.zeros(0), 3, rng).shape == (0,)


def test_slate_probability_matches_enumeration() -> None:
    logits = np.random.default_rng(7).uniform(-6, 6, 5)
    for k in range(6):
        for prefix in itertools.permutations(range(5), k):
            assert slate_probability(logits, np.array(prefix, dtype=np.int64)) == pytest.approx(
                enumerated_probability(logits, prefix), rel=1e-9, abs=1e-300
            )
    full = sum(slate_probability(logits, np.array(p)) for p in itertools.permutations(range(5)))
    assert full == pytest.approx(1.0, abs=1e-12)


def test_slate_probability_rejects_bad_orders() -> None:
    logits = np.zeros(3)
    for bad in (np.array([0, 0]), np.array([3]), np.array([-1]), np.array([0.5]), np.zeros((1, 1), dtype=int)):
        with pytest.raises(ValueError):
            slate_probability(logits, bad)


def test_equal_logits_are_uniform() -> None:
    p = marginals(np.full(7, 0.3), 4)
    np.testing.assert_allclose(p, 1 / 7, atol=1e-8)
    assert slate_probability(np.zeros(4), np.array([2, 0, 3, 1])) == pytest.approx(1 / 24)


def test_edge_sizes() -> None:
    assert marginals(np.zeros(0), 3).shape == (0, 0)
    np.testing.assert_allclose(marginals(np.array([1.5]), 3), [[1.0]], atol=1e-8)
    assert marginals(np.zeros(3), 0).shape == (3, 0)
    logits = np.array([0.2, -1.0, 0.7])
    np.testing.assert_allclose(marginals(logits, 10), enumerated(logits, 3), atol=1e-6)  # k > M: clipped


def test_huge_gaps_stay_finite() -> None:
    # No overflow, 0 * inf or 0 / 0 on the way (underflow to 0 is what a vanishing weight should do).
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = marginals(np.array([0.0, -2000.0, 800.0, 799.0]), 4)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p[1], [0, 0, 0, 1], atol=1e-8)
    np.testing.assert_allclose(p[0], [0, 0, 1, 0], atol=1e-8)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-6)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        marginals(np.zeros((2, 2)), 1)
    with pytest.raises(ValueError):
        marginals(np.array([0.0, np.inf]), 1)
    with pytest.raises(ValueError):
        marginals(np.zeros(3), -1)
    with pytest.raises(ValueError):
        marginals(np.zeros(3), 2, nodes=1)
    with pytest.raises(ValueError):
        marginals(np.zeros(3), 2, anchors=np.array([3]))
