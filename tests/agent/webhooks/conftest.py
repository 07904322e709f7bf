"""A service that may reach 127.0.0.1 (MANDAT_WEBHOOK_ALLOW_PRIVATE) with webhook delivery installed,
and a real receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from agent.config import Settings, load_settings
from agent.outbox import RetryPolicy
from agent.service import Mandat
from agent.webhooks import install_webhooks
from tests.agent.webhooks.receiver import Receiver
from tests.conftest import DEMO_FIRM

# Retries within milliseconds, so the tests wait for behaviour, not for the production backoff.
FAST = RetryPolicy(window=timedelta(hours=24), base_s=0.02, cap_s=0.1)


@pytest.fixture
def hook_settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "var", firm_dir=DEMO_FIRM, public_url="http://127.0.0.1:8000",
                         webhook_allow_private=True)


@pytest.fixture
def hook_service(hook_settings: Settings) -> Iterator[Mandat]:
    svc = Mandat(hook_settings)
    svc.setup()
    install_webhooks(svc)
    yield svc
    svc.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()
