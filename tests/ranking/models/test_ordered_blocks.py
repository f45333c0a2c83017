"""Cache blocks that add the trees up in LightGBM's order score exactly as LightGBM; lleaves' own do not."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import lleaves
import numpy as np
from lleaves.compiler.codegen import codegen

from ranking.models.ordered_blocks import lightgbm_order


def test_ordered_blocks_match_lightgbm_where_lleaves_blocks_do_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2_000, 6))
    y = (x[:, 0] + rng.normal(size=2_000) > 0).astype(int)
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 0, "num_threads": 1}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=60)  # 4 blocks of 16 trees
    booster.save_model(str(tmp_path / "model.txt"))
    rows = rng.normal(size=(5_000, 6))
    stock = booster.predict(rows, num_threads=1)

    lleaves_blocks = lleaves.Model(model_file=str(tmp_path / "model.txt"))
    lleaves_blocks.compile(fblocksize=16)
    ordered = lleaves.Model(model_file=str(tmp_path / "model.txt"))
    generator = codegen._populate_instruction_block
    with lightgbm_order():
        ordered.compile(fblocksize=16)
    assert codegen._populate_instruction_block is generator  # lleaves' own is back

    assert np.array_equal(ordered.predict(rows, n_jobs=1), stock)
    assert not np.array_equal(lleaves_blocks.predict(rows, n_jobs=1), stock)  # an ulp here and there
    assert np.allclose(lleaves_blocks.predict(rows, n_jobs=1), stock, rtol=0, atol=1e-12)
