"""Keep Python's cyclic garbage collector off the long-lived heap of a serving process.

Models, stores and the app itself are loaded once and live as long as the process: hundreds of
thousands of objects (torch, Feast, MLflow, SQLAlchemy). Every full collection walks all of them while
every thread of the process waits: on the 10k-user world, 13 full collections in 145 feed rankings took
up to 16 ms each. `settle()` moves everything alive now into the permanent generation (`gc.freeze`, as
Instagram's servers do), so later collections scan only what requests create (then: at most 2 ms).
It is called where something long-lived was just loaded. A version swapped out later is freed
by reference counting like any object; only reference cycles inside it outlive it. A process that
builds many apps (the tests) turns it off (`PIXELRANK_FREEZE_HEAP=false`): their garbage would stay.
"""

from __future__ import annotations

import gc

_enabled = True


def configure(enabled: bool) -> None:
    global _enabled
    _enabled = enabled


def settle() -> None:
    if _enabled:
        gc.freeze()
