"""Every notebook runs top to bottom, as `make notebooks` runs it; each asserts the facts it teaches."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_notebook_runs_top_to_bottom(name: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "run.py"), name, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / f"{name}.ipynb").is_file()


def test_every_notebook_is_stored_without_outputs() -> None:
    """Percent-format .py files only: an .ipynb in git would carry outputs (a local, ignored one is fine)."""
    assert NAMES, "no notebooks found"
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=NOTEBOOKS, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert tracked.stdout == ""
