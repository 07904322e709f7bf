"""Hypothesis profiles for the fuzz tests: ``ci`` (default, a few seconds per target, in ``make test``)
and ``fuzz`` (``make fuzz``: HYPOTHESIS_PROFILE=fuzz, many more examples, no deadline)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=_SLOW_OK, derandomize=True)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3000")), deadline=None,
                          suppress_health_check=_SLOW_OK)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(ci: int) -> int:
    """``ci`` examples in make test; the fuzz profile's count under make fuzz."""
    return ci if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else settings().max_examples
