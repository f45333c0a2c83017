"""The off-policy half of the champion gate: does the new ranker's feed earn at least the champion's?

A better holdout NDCG is measured on the impressions the old policy chose; the explored requests the
new ranker was not trained on (its validation and test requests) also say what other slates would
have earned. Both rankers re-rank the same logged pools and arrange them as the feed does
(`training.off_policy.evaluate`; topic spread on the newest two-tower's post embeddings), rewarded by
serving's value weights, the champion's heads as the reward model. The new ranker passes when the low
end of its interval (`OPEConfig.alpha`) is not below the champion's estimate. With too few explored
requests there is no verdict: the holdout decides alone, and the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from ranking.model import RankerModel
from training.figures import estimates_figure
from training.off_policy.estimators import Estimate
from training.off_policy.evaluate import OPEConfig, estimate_model, feed_arrangement, value_reward
from training.off_policy.logs import ExploredLogs


@dataclass(frozen=True)
class OffPolicyReport:
    requests: int
    new: dict[str, Estimate]
    champion: dict[str, Estimate] | None  # None: no champion to compare with
    config: OPEConfig

    def metrics(self) -> dict[str, float]:
        """As logged to MLflow: `ope_{estimator}` with `_low`, `_high`, `_ess`; the champion's as `champion_ope_*`."""
        out: dict[str, float] = {"ope_requests": float(self.requests)}
        for prefix, estimates in (("ope", self.new), ("champion_ope", self.champion or {})):
            for name, e in estimates.items():
                out |= {f"{prefix}_{name}": e.value, f"{prefix}_{name}_low": e.low, f"{prefix}_{name}_high": e.high}
                out[f"{prefix}_{name}_ess"] = e.ess
        return out

    def verdict(self) -> tuple[bool, str]:
        """(passes, why) for the gate."""
        name = self.config.estimator
        new = self.new[name]
        if self.champion is None:
            return True, f"OPE {name} {new.value:.4g} (no champion to compare)"
        champion = self.champion[name]
        passes = new.low >= champion.value
        relation = "is not below" if passes else "is below"
        return passes, (
            f"OPE {name} lower bound {new.low:.4g} {relation} the champion's {champion.value:.4g} "
            f"on {self.requests} explored requests"
        )

    def figure(self, title: str) -> Figure:
        rows = [("new", self.new), ("champion", self.champion or {})]
        points = [(f"{who} · {name}", e) for who, estimates in rows for name, e in estimates.items()]
        return estimates_figure(
            [label for label, _ in points],
            [e.value for _, e in points],
            [e.low for _, e in points],
            [e.high for _, e in points],
            title,
        )


def off_policy_report(
    logs: ExploredLogs, new: RankerModel, champion: RankerModel | None, home: Path, config: OPEConfig | None = None
) -> OffPolicyReport | None:
    """Both rankers estimated on the logs, their pools arranged as the feed over `home` arranges them
    (None: fewer than `config.min_requests` explored requests)."""
    config = config or OPEConfig()
    if len(logs) < config.min_requests:
        return None
    selectors = feed_arrangement(home)
    weights = value_reward()
    reward_model = champion or new
    new_estimates = estimate_model(logs, new, reward_model, weights, config, selectors=selectors)
    champion_estimates = (
        estimate_model(logs, champion, champion, weights, config, selectors=selectors) if champion is not None else None
    )
    return OffPolicyReport(len(logs), new_estimates, champion_estimates, config)
