from __future__ import annotations

from channels.webchat import SlidingWindowLimiter


def test_sliding_window_and_bounded_memory() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(3, 60.0, max_keys=100, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.blocked("a") and not limiter.blocked("b")
    now[0] = 30.0
    assert not limiter.hit("a")
    now[0] = 60.5  # the first three hits left the window
    assert limiter.hit("a") and not limiter.blocked("a")
    for n in range(10_000):
        limiter.hit(f"ip-{n}")
    assert len(limiter) == 100
    assert limiter.retry_after("ip-9999") >= 1
