"""The two-tower network, apart from its training task (see `task.py`).

User tower: hashed user id, a dense feature vector (the user's `two_tower_v1` features, zeros when
absent) and the masked mean of recently engaged posts' id embeddings. Post tower: hashed post id,
author, a bag of hashed caption/hashtag tokens, media type, numeric stats and the embedding of its
picture (`candidates.images`), so a post never seen in training still gets an embedding from its
content, and one whose caption says little lands near posts that look like it. Both end in an MLP and
an L2 normalisation: scores are cosines, and FAISS inner-product search finds the same neighbours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional

from candidates.two_tower.inputs import MEDIA_TYPES, Buckets, PostInputs, UserInputs


@dataclass(frozen=True)
class TwoTowerConfig:
    dim: int = 64  # output embedding size (the FAISS index's dimension)
    embedding_dim: int = 64
    hidden: int = 128
    user_dense: int = 0  # length of the user's dense feature vector
    post_stats: int = 0  # length of the post's numeric stats vector
    image_dim: int = 0  # length of the post's image embedding (0: the tower reads no pixels)
    image_model: str = ""  # the image encoder version whose embeddings it reads (`Media.embedding_model`)
    history: int = 50  # recently engaged posts pooled in the user tower
    max_tokens: int = 16
    share_post_embeddings: bool = True  # history pools the post tower's id table
    buckets: Buckets = field(default_factory=Buckets)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> TwoTowerConfig:
        raw = dict(values)
        buckets = raw.pop("buckets", {})
        return cls(**raw, buckets=Buckets(**buckets))  # type: ignore[arg-type]


def masked_mean(embeddings: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
    """Mean of the embeddings of the non-zero ids of each row; zeros for a row with none."""
    mask = (ids > 0).unsqueeze(-1).to(torch.float32)
    summed: torch.Tensor = (embeddings(ids) * mask).sum(dim=1)
    return summed / mask.sum(dim=1).clamp(min=1.0)


def log_scale(features: torch.Tensor) -> torch.Tensor:
    """log1p of non-negative counts and rates: heavy-tailed counts (likes, followers) stay in range.
    Inside the model, so training and serving cannot scale differently."""
    return torch.log1p(features.clamp(min=0.0))


def mlp(inputs: int, hidden: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, out))


class PostTower(nn.Module):
    def __init__(self, config: TwoTowerConfig) -> None:
        super().__init__()
        self.config = config
        e, b = config.embedding_dim, config.buckets
        self.post_embedding = nn.Embedding(b.posts, e, padding_idx=0, sparse=True)
        self.author_embedding = nn.Embedding(b.authors, e, padding_idx=0, sparse=True)
        self.token_embedding = nn.Embedding(b.tokens, e, padding_idx=0, sparse=True)
        self.media_embedding = nn.Embedding(len(MEDIA_TYPES), e)
        self.stats = nn.Linear(config.post_stats, e) if config.post_stats else None
        self.image = nn.Linear(config.image_dim, e) if config.image_dim else None
        n_parts = 4 + bool(config.post_stats) + bool(config.image_dim)
        self.mlp = mlp(n_parts * e, config.hidden, config.dim)
        for table in (self.post_embedding, self.author_embedding, self.token_embedding):
            nn.init.normal_(table.weight, std=0.05)
            table.weight.data[0].zero_()

    def forward(self, posts: PostInputs) -> torch.Tensor:
        parts = [
            self.post_embedding(posts.post_ids),
            self.author_embedding(posts.author_ids),
            masked_mean(self.token_embedding, posts.tokens),
            self.media_embedding(posts.media_type),
        ]
        if self.stats is not None:
            parts.append(self.stats(log_scale(posts.stats)))
        if self.image is not None:
            parts.append(self.image(posts.image))
        return functional.normalize(self.mlp(torch.cat(parts, dim=-1)), dim=-1)


class UserTower(nn.Module):
    def __init__(self, config: TwoTowerConfig, history_embedding: nn.Embedding | None = None) -> None:
        super().__init__()
        self.config = config
        e, b = config.embedding_dim, config.buckets
        self.user_embedding = nn.Embedding(b.users, e, padding_idx=0, sparse=True)
        nn.init.normal_(self.user_embedding.weight, std=0.05)
        self.user_embedding.weight.data[0].zero_()
        self.history_embedding = history_embedding or nn.Embedding(b.posts, e, padding_idx=0, sparse=True)
        self.dense = nn.Linear(config.user_dense, e) if config.user_dense else None
        n_parts = 3 if config.user_dense else 2
        self.mlp = mlp(n_parts * e, config.hidden, config.dim)

    def forward(self, users: UserInputs) -> torch.Tensor:
        parts = [self.user_embedding(users.user_ids), masked_mean(self.history_embedding, users.history)]
        if self.dense is not None:
            parts.append(self.dense(log_scale(users.dense)))
        return functional.normalize(self.mlp(torch.cat(parts, dim=-1)), dim=-1)


def sparse_parameters(model: nn.Module) -> list[torch.Tensor]:
    """The hashed id/token tables (sparse gradients: only the rows a batch touches are updated)."""
    return [m.weight for m in model.modules() if isinstance(m, nn.Embedding) and m.sparse]


class TwoTower(nn.Module):
    """Two independent encoders into one space; ``score`` is their dot product (a cosine)."""

    def __init__(self, user_tower: UserTower, post_tower: PostTower) -> None:
        super().__init__()
        self.user_tower = user_tower
        self.post_tower = post_tower
        self.config = post_tower.config

    @classmethod
    def build(cls, config: TwoTowerConfig) -> TwoTower:
        post_tower = PostTower(config)
        shared = post_tower.post_embedding if config.share_post_embeddings else None
        return cls(UserTower(config, shared), post_tower)

    def forward(self, users: UserInputs, posts: PostInputs) -> tuple[torch.Tensor, torch.Tensor]:
        return self.user_tower(users), self.post_tower(posts)

    def score(self, users: UserInputs, posts: PostInputs) -> torch.Tensor:
        user, post = self(users, posts)
        scores: torch.Tensor = (user * post).sum(dim=-1)
        return scores
