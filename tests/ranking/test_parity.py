"""The frame pipeline serves what the object pipeline before it served: same items, same order, same
scores, reasons and sources, for the feed and explore of 100 viewers of a seeded world.

The previous version is taken from git (`PREVIOUS`, the last commit whose pipeline handled one object
per candidate) and run in a subprocess beside the current tree, over the same database
(`parity_run.py`). No difference is declared: ties are broken the same way (stable sorts on score
in both), and the scores agree to 12 digits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from social_core.db import make_engine
from social_core.migrate import upgrade
from social_core.models import Follow
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import WORLD_START, WorldConfig

PREVIOUS = "6d70b46"
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("candidates", "features", "ranking", "social_core", "serving", "training")
WORLD = WorldConfig(users=160, days=5, seed=11, celebrities=3, mean_following=12)


def previous_tree(into: Path) -> Path:
    """The packages as they were at `PREVIOUS` (skipped where the clone has no history to read)."""
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS}^{{commit}}"], capture_output=True)
    if found.returncode != 0:
        pytest.skip(f"commit {PREVIOUS} is not in this clone's history (a shallow clone?)")
    archive = into / "previous.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), PREVIOUS, *PACKAGES], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "previous", filter="data")
    return into / "previous"


def ranked(tree: Path, db_url: str, now_ts: float, viewers: list[int]) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(tree), "FEAST_USAGE": "False"}
    script = ROOT / "tests" / "ranking" / "parity_run.py"
    done = subprocess.run(
        [sys.executable, str(script), db_url, str(now_ts), *map(str, viewers)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_frame_pipeline_serves_what_the_object_pipeline_served(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'pixelrank.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    seed_world(engine, tmp_path, WORLD)
    run_sessions(engine, tmp_path, SessionConfig(sessions=400, oracle_sessions=0, seed=2))
    with engine.connect() as conn:
        viewers = list(conn.scalars(select(Follow.follower_id).distinct().order_by(Follow.follower_id).limit(100)))
        assert conn.scalar(select(func.count()).select_from(Follow)) > 0
    engine.dispose()
    assert len(viewers) == 100
    now_ts = (WORLD_START + timedelta(days=WORLD.days)).timestamp()
    previous = ranked(previous_tree(tmp_path), db_url, now_ts, viewers)
    current = ranked(ROOT, db_url, now_ts, viewers)
    assert previous.keys() == current.keys()
    differing = [key for key in previous if previous[key] != current[key]]
    assert not differing, f"{len(differing)} rankings differ, first {differing[0]}"
    served = sum(len(r["items"]) for r in current.values())  # type: ignore[index, arg-type]
    assert served > 100 * 20, "the world must give the viewers real feeds, or the comparison says little"
