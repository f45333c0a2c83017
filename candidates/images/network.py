"""`ImageNet`: the project's small CNN from pixels to a unit vector in the two-tower's post space.

Kept apart from its training task (distillation, `training/image_encoder.py`). Four strided
convolutions and a global average and max pool: colour and layout, which is what tells apart the
pictures of a topic, survive the pooling; the last layer maps them into the post space.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional


@dataclass(frozen=True)
class ImageNetConfig:
    dim: int = 64  # the two-tower's post embedding size
    side: int = 64  # input pixels per side
    width: int = 32  # channels of the first convolution, doubled by the next ones

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class ImageNet(nn.Module):
    def __init__(self, config: ImageNetConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        channels = (3, w // 2, w, 2 * w, 2 * w)
        layers: list[nn.Module] = []
        for inputs, outputs in pairwise(channels):
            layers += [nn.Conv2d(inputs, outputs, 3, stride=2, padding=1), nn.BatchNorm2d(outputs), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(4 * w, 2 * w), nn.ReLU(), nn.Linear(2 * w, config.dim))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        maps = self.features(pixels)
        pooled = torch.cat([maps.mean(dim=(2, 3)), maps.amax(dim=(2, 3))], dim=1)
        return functional.normalize(self.head(pooled), dim=-1)
