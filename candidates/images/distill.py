"""`Distillation`: the training task of an `ImageNet`, kept apart from the network.

The targets are the two-tower's learned embeddings of warm posts (posts with enough engagement for
their own id embedding to mean something): the network learns to place a picture where the posts it
illustrates already sit, so a new post with that look lands there before anyone engaged with it. The
loss is one minus the cosine, weighted by how many posts share the picture.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from candidates.images.network import ImageNet


@dataclass(frozen=True)
class DistillConfig:
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 3e-3
    patience: int = 5  # epochs without a better validation cosine before stopping
    seed: int = 0


@dataclass
class DistillResult:
    best_epoch: int
    val_cosine: float
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch: loss, val_cosine


def cosine_loss(predicted: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    cosine = (predicted * targets).sum(dim=1)
    loss: torch.Tensor = ((1.0 - cosine) * weights).sum() / weights.sum().clamp(min=1e-9)
    return loss


@torch.no_grad()
def mean_cosine(network: ImageNet, pixels: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> float:
    """The weighted mean cosine between the network's vectors and the targets (eval mode)."""
    network.eval()
    if len(pixels) == 0:
        return 0.0
    return 1.0 - float(cosine_loss(network(pixels), targets, weights))


def fit(
    network: ImageNet,
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    validation: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    config: DistillConfig,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
) -> DistillResult:
    """Train on (pixels, targets, weights) with random horizontal flips; keep the epoch with the best
    validation cosine (early stopping after `patience` epochs without one)."""
    pixels, targets, weights = train
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    best, best_epoch, best_state, history = -np.inf, 0, copy.deepcopy(network.state_dict()), []
    for epoch in range(1, config.epochs + 1):
        network.train()
        order = torch.randperm(len(pixels), generator=generator)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            rows = order[start : start + config.batch_size]
            if len(rows) < 2:  # batch norm needs two
                continue
            batch = pixels[rows]
            flip = torch.rand(len(rows), generator=generator) < 0.5
            batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
            loss = cosine_loss(network(batch), targets[rows], weights[rows])
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            total += loss.item() * len(rows)
        metrics = {"loss": total / max(len(order), 1), "val_cosine": mean_cosine(network, *validation)}
        history.append(metrics)
        if on_epoch is not None:
            on_epoch(epoch, metrics)
        if metrics["val_cosine"] > best:
            best, best_epoch, best_state = metrics["val_cosine"], epoch, copy.deepcopy(network.state_dict())
        elif epoch - best_epoch >= config.patience:
            break
    network.load_state_dict(best_state)
    network.eval()
    return DistillResult(best_epoch, float(best), history)
