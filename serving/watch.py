"""`Watcher`: what every live-followed model shares, a daemon thread calling `refresh()` every few seconds.

Serving follows two registry aliases while it runs: the ranker's (`serving.models.ChampionModel`) and
the two-tower's (`serving.two_tower.TwoTowerChampion`). Each says how to check its alias and swap a new
version in (`follow`); this class keeps asking, one check at a time, and keeps each version it swapped
in out of the cyclic GC (`serving.heap`). A failing refresh is logged, never raised into the thread:
a broken version or an unreachable store must not take serving down, and the next period tries again.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Self

from serving import heap

log = logging.getLogger(__name__)


class Watcher(ABC):
    def __init__(self, label: str, refresh_s: float) -> None:
        """`label` names what is followed in logs and the thread's name, e.g. "pixelrank-ranker@champion"."""
        self.label, self.refresh_s = label, refresh_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refreshing = threading.Lock()  # one refresh at a time; readers never take it

    def refresh(self) -> bool:
        """Follow the alias now: swap in the version it names if that moved. True when it swapped."""
        with self._refreshing:
            swapped = self.follow()
        if swapped:
            heap.settle()  # the new version lives as long as it serves: keep it out of the cyclic GC
        return swapped

    @abstractmethod
    def follow(self) -> bool:
        """One check of the alias, swapping in what it names if that moved (called under the lock)."""

    @property
    def watching(self) -> bool:
        return self._thread is not None

    def start(self, *, wait: bool = True) -> Self:
        """Refresh once, then every `refresh_s` seconds until `stop()`.

        `wait`: the first refresh runs in the caller's thread (it needs the model before going on);
        otherwise it is the watcher thread's first step, and the caller carries on with what it has.
        """
        if wait:
            self._refresh_logged()
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, args=(not wait,), name=f"watch-{self.label}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _watch(self, refresh_first: bool) -> None:
        if refresh_first and not self._stop.is_set():
            self._refresh_logged()
        while not self._stop.wait(self.refresh_s):
            self._refresh_logged()

    def _refresh_logged(self) -> None:
        try:
            self.refresh()
        except Exception:
            log.exception("could not refresh %s; keeping the version in use", self.label)
