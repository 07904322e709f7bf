"""Fixtures of the fault family: one real Dovecot, one fake Bot API and one fault run shared by its tests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.dovecot import running_dovecot
from tests.fakes.telegram_api import FakeTelegram
from tests.faults import driver
from tests.faults.infra import REPO, remove, temp_root


def plan_from_env() -> driver.Plan:
    """CI scale by default; MANDAT_FAULTS_KILLS=… MANDAT_FAULTS_CONVERSATIONS=… for bigger runs."""
    plan = driver.Plan()
    total = int(os.environ.get("MANDAT_FAULTS_CONVERSATIONS", plan.webchat + plan.email + plan.telegram))
    plan.webchat, plan.email = total * 3 // 5, total // 5
    plan.telegram = total - plan.webchat - plan.email
    plan.kills = int(os.environ.get("MANDAT_FAULTS_KILLS", plan.kills))
    plan.seed = int(os.environ.get("MANDAT_FAULTS_SEED", plan.seed))
    plan.smtp_outage_s = float(os.environ.get("MANDAT_FAULTS_SMTP_OUTAGE_S", plan.smtp_outage_s))
    return plan


@pytest.fixture(scope="package")
def fault_run() -> Iterator[tuple[driver.Stack, dict[str, Any]]]:
    root = temp_root()
    with running_dovecot() as dovecot, FakeTelegram(driver.TG_TOKEN) as telegram:
        stack = driver.open_stack(root, dovecot, telegram)
        try:
            figures = driver.run(stack, plan_from_env())
            artifacts = REPO / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            (artifacts / "faults.json").write_text(json.dumps(figures, indent=2, default=str))
            yield stack, figures
        finally:
            driver.close_stack(stack)
    remove(root)
