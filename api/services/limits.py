"""Per-sender rate limiting: a sliding window in memory (one api process; a shared store is
the production profile's job)."""

from __future__ import annotations

import time
from collections import deque

WINDOW_S = 60.0


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic):  # noqa: ANN001
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._last_sweep = clock()

    def __len__(self) -> int:
        """Senders remembered: only those seen within about the last two windows."""
        return len(self._seen)

    def allow(self, key: str) -> bool:
        now = self._clock()
        if now - self._last_sweep > WINDOW_S:
            # Forget senders idle for a whole window, once a window: memory follows the
            # senders of the last minute or two, not everyone who ever texted.
            self._seen = {k: w for k, w in self._seen.items() if now - w[-1] <= WINDOW_S}
            self._last_sweep = now
        window = self._seen.setdefault(key, deque())
        while window and now - window[0] > WINDOW_S:
            window.popleft()
        if len(window) >= self._limit:
            return False
        window.append(now)
        return True
