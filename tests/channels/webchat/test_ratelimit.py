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


def test_keys_out_of_the_window_are_dropped() -> None:
    """Every conversation is a key of the per-link limiter: after many distinct keys over a long time the
    table holds about one window's worth, not ``max_keys`` (the soak's RSS growth, issue 16)."""
    now = [0.0]
    limiter = SlidingWindowLimiter(100, 60.0, max_keys=10_000, clock=lambda: now[0])
    for n in range(5_000):  # one new key a second for 5000 s, each hit a few times
        now[0] = float(n)
        for _ in range(3):
            assert limiter.hit(f"link-{n}")
    assert len(limiter) <= 61
    assert limiter.blocked("link-4999") is False and limiter.retry_after("link-4999") >= 1
    # a key still in its window keeps its count when newer keys push the old ones out
    limiter = SlidingWindowLimiter(2, 60.0, clock=lambda: now[0])
    now[0] = 0.0
    assert limiter.hit("a") and limiter.hit("a")
    now[0] = 30.0
    for n in range(100):
        limiter.hit(f"other-{n}")
    assert limiter.blocked("a") and not limiter.hit("a")
    now[0] = 91.0  # every hit so far has left the window: the next new key drops them all
    limiter.hit("new")
    assert len(limiter) == 1
    assert limiter.hit("a")
