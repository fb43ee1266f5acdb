"""Per-sender rate limiting: a sliding window in memory (one api process; a shared store is
the production profile's job)."""

from __future__ import annotations

import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic):  # noqa: ANN001
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self._clock()
        window = self._seen[key]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self._limit:
            return False
        window.append(now)
        if len(self._seen) > 100_000:  # bound memory: forget idle senders
            for idle in [k for k, w in self._seen.items() if not w or now - w[-1] > 60]:
                del self._seen[idle]
        return True
