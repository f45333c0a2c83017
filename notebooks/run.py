"""Execute the notebooks top to bottom: `python notebooks/run.py [NAME ...] [--out DIR]`.

Each notebook (a jupytext percent-format .py file) runs in a fresh kernel of this venv, from the
notebooks/ folder as JupyterLab would, on a scratch world of its own (notebooks/scratch.py). The
executed copy, outputs and plots included, is written to OUT/NAME.ipynb even when a cell fails; a
failing cell makes the exit status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT_S = 600


def notebooks() -> list[Path]:
    return sorted(path for path in HERE.glob("[0-9][0-9]_*.py"))


def execute(source: Path, out: Path) -> float:
    """Run one notebook; its executed copy goes to OUT/NAME.ipynb. Raises CellExecutionError."""
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    os.environ["PIXELRANK_NOTEBOOK_WORLDS"] = str(out / "worlds")
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(HERE)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not the warning about its local TCP ports
    )
    started = time.perf_counter()
    try:
        client.execute()
    finally:
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, out / f"{source.stem}.ipynb")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="Notebooks to run, by name or number prefix [default: all].")
    default_out = Path(os.environ.get("PIXELRANK_HOME", "var")) / "notebooks"
    parser.add_argument("--out", type=Path, default=default_out, help=f"Folder of the executed copies [{default_out}].")
    args = parser.parse_args(argv)
    chosen = [path for path in notebooks() if not args.names or any(path.stem.startswith(n) for n in args.names)]
    if not chosen:
        print(f"run.py: no notebook matches {' '.join(args.names)} (have: {', '.join(p.stem for p in notebooks())})")
        return 2
    out = args.out.resolve()
    failed = []
    for source in chosen:
        print(f"{source.stem} …", end=" ", flush=True)
        try:
            seconds = execute(source, out)
        except CellExecutionError as error:
            failed.append(source.stem)
            lines = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).splitlines()
            reason = next((line for line in reversed(lines) if line.strip()), "a cell raised")
            print(f"FAILED: {reason} (see {out / source.stem}.ipynb)")
            continue
        print(f"{seconds:.0f} s → {out / source.stem}.ipynb")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
