"""Train the torch multi-task ranker (`MultiTaskNet`, MMoE) with `MultiTaskTask`, its loss, kept apart.

Mini-batch AdamW on the sum of the heads' binary cross-entropies (unweighted, so each head stays a
calibrated probability); after every epoch the validation loss decides early stopping, and the best
epoch's weights are kept. Seeded: initial weights, dropout and batch order all follow `seed`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ranking.models.torch_mtl import MultiTaskConfig, MultiTaskNet, TorchRanker
from training.ranker.dataset import RankerData, RankerSplit, trainable_heads
from training.ranker.progress import Progress, no_progress


@dataclass(frozen=True)
class TorchConfig:
    experts: int = 4  # 1: shared bottom
    expert_hidden: tuple[int, ...] = (64, 32)
    tower_hidden: int = 16
    dropout: float = 0.1
    epochs: int = 30  # most epochs; early stopping usually ends sooner
    batch_size: int = 512
    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    patience: int = 3  # epochs without a better validation loss before stopping
    min_positives: int = 10  # a head with fewer positive training rows is not trained
    threads: int = 1
    seed: int = 0


class MultiTaskTask(nn.Module):
    """The training objective of a `MultiTaskNet`: the sum over heads of the binary cross-entropy."""

    def __init__(self, net: MultiTaskNet) -> None:
        super().__init__()
        self.net = net
        self.bce = nn.BCEWithLogitsLoss(reduction="mean")

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits = self.net(features)
        return torch.stack([self.bce(logits[:, i], labels[:, i]) for i in range(logits.shape[1])]).sum()


@dataclass
class TorchFit:
    ranker: TorchRanker
    losses: list[float]  # mean training loss per epoch
    validation_losses: list[float]
    best_epoch: int


def tensors(split: RankerSplit, heads: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    labels = np.stack([split.labels[head] for head in heads], axis=1)
    return torch.as_tensor(split.features, dtype=torch.float32), torch.as_tensor(labels, dtype=torch.float32)


def fit_torch(data: RankerData, config: TorchConfig, version: str, progress: Progress = no_progress) -> TorchFit:
    heads = trainable_heads(data.train, config.min_positives)
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    order_generator = torch.Generator().manual_seed(config.seed)
    net = MultiTaskNet(
        MultiTaskConfig(
            len(data.feature_names), heads, config.experts, config.expert_hidden, config.tower_hidden, config.dropout
        )
    )
    net.fit_scaling(data.train.features)
    task = MultiTaskTask(net)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    features, labels = tensors(data.train, heads)
    valid_features, valid_labels = tensors(data.validation, heads)
    losses: list[float] = []
    validation_losses: list[float] = []
    best_state, best_epoch = copy.deepcopy(net.state_dict()), 0
    try:
        for epoch in range(config.epochs):
            task.train()
            total = 0.0
            order = torch.randperm(len(features), generator=order_generator)
            for start in range(0, len(order), config.batch_size):
                batch = order[start : start + config.batch_size]
                loss = task(features[batch], labels[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(batch)
            losses.append(total / max(len(features), 1))
            task.eval()
            with torch.no_grad():
                validation_losses.append(float(task(valid_features, valid_labels)))
            progress("torch", epoch + 1, config.epochs)
            if validation_losses[-1] <= min(validation_losses):
                best_state, best_epoch = copy.deepcopy(net.state_dict()), epoch
            elif epoch - best_epoch >= config.patience:
                break
    finally:
        torch.set_num_threads(threads)
    progress("torch", config.epochs, config.epochs)
    net.load_state_dict(best_state)
    net.eval()
    return TorchFit(TorchRanker(net, data.feature_names, version), losses, validation_losses, best_epoch)
