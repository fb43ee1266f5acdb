"""api/services/limits.py: a per-sender sliding window that forgets idle senders."""

from __future__ import annotations

from api.services.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sender_over_the_limit_waits_for_the_window_to_move():
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.allow("+15550001") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("+15550002")  # another sender is not held back
    clock.now += 61
    assert limiter.allow("+15550001")


def test_memory_holds_only_recent_senders_however_many_ever_texted():
    clock = Clock()
    limiter = RateLimiter(10, clock=clock)
    for n in range(50_000):  # a day of distinct senders, one every 2 s
        limiter.allow(f"sender-{n}")
        clock.now += 2
    assert len(limiter) <= 61  # about two minutes' worth
    # The latest sender's window survived the sweeps: 1 + 9 more fill it, the next waits.
    assert all(limiter.allow("sender-49999") for _ in range(9))
    assert not limiter.allow("sender-49999")
