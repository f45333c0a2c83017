"""Per-feature contributions of a LightGBM head by decision path, for explanations at serving speed.

Each split moves a row from a node to one of its children; the change in the node's value (LightGBM's
own `internal_value`, the mean raw score of the training rows that reached it) is credited to the
split's feature. Summed over the path to the row's leaf in every tree, the credits plus the model's
bias (the roots' values) equal the row's raw score exactly. This is the path attribution of
ELI5 and treeinterpreter: unlike TreeSHAP (`pred_contrib`, 100x slower on a few hundred rows) it depends
on the order of the splits, which is good enough for naming the strongest reason for one item.

The per-leaf credits of all trees are one sparse table built once per model (leaves x features); a
request's contributions are the rows' leaves (`pred_leaf`) as a one-hot sparse matrix times the table.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
from scipy import sparse


class PathContributions:
    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster
        self.width = booster.num_feature()
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        offsets: list[int] = []
        self.bias = 0.0
        leaves = 0
        for tree in booster.dump_model()["tree_info"]:
            offsets.append(leaves)
            root = tree["tree_structure"]
            self.bias += _value(root)
            for leaf, credits in _leaf_credits(root):
                for feature, credit in credits.items():
                    rows.append(leaves + leaf)
                    columns.append(feature)
                    values.append(credit)
            leaves += int(tree["num_leaves"])
        self.leaves = leaves
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.table = sparse.csr_matrix((values, (rows, columns)), shape=(leaves, self.width))

    def __call__(self, matrix: np.ndarray, threads: int = 1) -> np.ndarray:
        """Contributions (rows x features) of the raw score, without the bias."""
        reached = np.asarray(self.booster.predict(matrix, pred_leaf=True, num_threads=threads), dtype=np.int64)
        reached = reached.reshape(len(matrix), -1) + self.offsets
        count, trees = reached.shape
        onehot = sparse.csr_matrix(
            (np.ones(count * trees), reached.ravel(), np.arange(0, count * trees + 1, trees)),
            shape=(count, self.leaves),
        )
        return np.asarray((onehot @ self.table).toarray())


def _value(node: dict[str, Any]) -> float:
    return float(node["leaf_value"] if "leaf_index" in node or "split_index" not in node else node["internal_value"])


def _leaf_credits(root: dict[str, Any]) -> list[tuple[int, dict[int, float]]]:
    """(leaf index, feature -> credit) for every leaf of one tree."""
    out: list[tuple[int, dict[int, float]]] = []
    stack: list[tuple[dict[str, Any], dict[int, float]]] = [(root, {})]
    while stack:
        node, credits = stack.pop()
        if "split_index" not in node:
            out.append((int(node.get("leaf_index", 0)), credits))
            continue
        feature, value = int(node["split_feature"]), _value(node)
        for child in (node["left_child"], node["right_child"]):
            step = dict(credits)
            step[feature] = step.get(feature, 0.0) + _value(child) - value
            stack.append((child, step))
    return out
