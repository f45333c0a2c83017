"""`MultiTaskNet`, a small multi-gate mixture-of-experts ranker (MMoE, Ma et al. 2018), and `TorchRanker`.

Every head reads a softmax-gated mix of shared experts, then its own small tower, so related objectives
(like, save) share what they learn while rare ones (share, hide) borrow from them; `experts=1` is the
plain shared-bottom network. The network scales its own input (signed log, then the training set's mean
and spread, kept as buffers) so the saved state is all a scorer needs. Its loss and training live in
`training/ranker/torch_job.py`, apart from the network.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ranking.model import HEADS
from ranking.models.manifest import Manifest, check_width

FAMILY = "torch"
WEIGHTS_FILE = "mtl.pt"


@dataclass(frozen=True)
class MultiTaskConfig:
    n_features: int
    heads: tuple[str, ...] = HEADS
    experts: int = 4  # 1: shared bottom
    expert_hidden: tuple[int, ...] = (64, 32)
    tower_hidden: int = 16
    dropout: float = 0.1


def signed_log(x: torch.Tensor) -> torch.Tensor:
    """Counts span orders of magnitude; their log keeps one viral post from dominating a layer."""
    return torch.sign(x) * torch.log1p(torch.abs(x))


def _mlp(sizes: list[int], dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width_in, width_out in itertools.pairwise(sizes):
        layers += [nn.Linear(width_in, width_out), nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class MultiTaskNet(nn.Module):
    center: torch.Tensor  # buffers: the input scaling, saved with the weights
    scale: torch.Tensor

    def __init__(self, config: MultiTaskConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("center", torch.zeros(config.n_features))
        self.register_buffer("scale", torch.ones(config.n_features))
        sizes = [config.n_features, *config.expert_hidden]
        self.experts = nn.ModuleList(_mlp(sizes, config.dropout) for _ in range(config.experts))
        self.gates = nn.ModuleList(nn.Linear(config.n_features, config.experts) for _ in config.heads)
        self.towers = nn.ModuleList(
            nn.Sequential(nn.Linear(sizes[-1], config.tower_hidden), nn.ReLU(), nn.Linear(config.tower_hidden, 1))
            for _ in config.heads
        )

    def fit_scaling(self, features: np.ndarray) -> None:
        """Set the input scaling from the training matrix (call once, before training)."""
        logged = signed_log(torch.nan_to_num(torch.as_tensor(features, dtype=torch.float32)))
        self.center.copy_(logged.mean(dim=0))
        self.scale.copy_(logged.std(dim=0).clamp_min(1e-6))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, F) raw features → (N, heads) logits."""
        z = (signed_log(torch.nan_to_num(features)) - self.center) / self.scale
        experts = torch.stack([expert(z) for expert in self.experts], dim=1)  # (N, E, D)
        logits = []
        for gate, tower in zip(self.gates, self.towers, strict=True):
            weights = torch.softmax(gate(z), dim=-1).unsqueeze(-1)  # (N, E, 1)
            logits.append(tower((weights * experts).sum(dim=1)))
        return torch.cat(logits, dim=1)


class TorchRanker:
    def __init__(self, net: MultiTaskNet, feature_names: tuple[str, ...], version: str) -> None:
        if len(feature_names) != net.config.n_features:
            raise ValueError(f"{len(feature_names)} feature names for a net of {net.config.n_features} inputs")
        self.net = net
        self.heads = net.config.heads
        self.feature_names = tuple(feature_names)
        self.version = version

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        check_width(features, self.feature_names)
        self.net.eval()
        with torch.no_grad():
            probabilities = torch.sigmoid(self.net(torch.as_tensor(np.asarray(features), dtype=torch.float32)))
        out = probabilities.numpy().astype(np.float64)
        return {head: out[:, i] for i, head in enumerate(self.heads)}

    def contributions(self, features: np.ndarray, head: str) -> np.ndarray | None:
        if head not in self.heads:
            raise KeyError(f"no head {head!r}; this model has {self.heads}")
        return None  # no exact per-feature attribution for a network; explanations fall back

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.state_dict(), folder / WEIGHTS_FILE)
        extra = {"net": asdict(self.net.config)}
        Manifest(FAMILY, self.version, self.heads, self.feature_names, extra=extra).write(folder)

    @classmethod
    def load(cls, folder: Path, version: str | None = None) -> TorchRanker:
        folder = Path(folder)
        manifest = Manifest.read(folder, FAMILY)
        raw = dict(manifest.extra["net"])
        config = MultiTaskConfig(**{**raw, "heads": tuple(raw["heads"]), "expert_hidden": tuple(raw["expert_hidden"])})
        net = MultiTaskNet(config)
        net.load_state_dict(torch.load(folder / WEIGHTS_FILE, weights_only=True))
        net.eval()
        return cls(net, manifest.feature_names, version or manifest.version)
