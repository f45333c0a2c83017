"""Save and load a `TwoTower` (weights + config) under a model version folder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from candidates.two_tower.embed import embed_new_posts
from candidates.two_tower.inputs import PostTable
from candidates.two_tower.model import TwoTower, TwoTowerConfig

WEIGHTS, CONFIG = "two_tower.pt", "two_tower.json"


def save_model(model: TwoTower, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / WEIGHTS)
    (folder / CONFIG).write_text(json.dumps(model.config.as_dict(), indent=2))


def load_model(folder: Path) -> TwoTower:
    model = TwoTower.build(TwoTowerConfig.from_dict(json.loads((folder / CONFIG).read_text())))
    model.load_state_dict(torch.load(folder / WEIGHTS, weights_only=True))
    model.eval()
    return model


def blank_unseen_ids(table: PostTable, seen_rows: np.ndarray) -> PostTable:
    """The table with the ids of posts never trained on blanked: their id buckets hold noise, not signal."""
    seen = np.zeros(len(table), dtype=bool)
    seen[seen_rows] = True
    return replace(table, post_ids=np.where(seen, table.post_ids, -1))


class PostEncoder:
    """The post tower as a content encoder, for MLflow's pyfunc view of a saved version: post rows
    (``id``, ``author_id``, ``caption``, ``media_type``, …) → embeddings, as for a brand-new post."""

    def __init__(self, model: TwoTower) -> None:
        self.model = model

    def predict(self, rows: list[dict[str, object]]) -> np.ndarray:
        return embed_new_posts(self.model, rows)


def load_post_encoder(folder: Path) -> PostEncoder:
    return PostEncoder(load_model(folder))
