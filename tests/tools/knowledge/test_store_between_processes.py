"""Several worker processes open one fresh on-disk store at the same instant (``mandat serve --workers N``
on its first start): none of them may die in Chroma's own migrations."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
OPEN_AT = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from tools.knowledge.index import KnowledgeBase
start = float(sys.argv[2])
while time.time() < start:
    pass
KnowledgeBase(data_dir=Path(sys.argv[1]))
"""


@pytest.mark.slow
def test_processes_opening_a_fresh_store_at_once_all_succeed(tmp_path: Path) -> None:
    failures: list[str] = []
    for round_ in range(3):  # the race is a matter of timing: several rounds of four openers
        data_dir = tmp_path / f"data{round_}"
        start = time.time() + 3.0  # after every process has imported chromadb
        procs = [subprocess.Popen([sys.executable, "-c", OPEN_AT, str(data_dir), str(start), str(REPO)],
                                  stderr=subprocess.PIPE) for _ in range(4)]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            if proc.returncode:
                failures.append(err.decode(errors="replace").strip().splitlines()[-1])
    assert failures == []
