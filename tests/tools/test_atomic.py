"""The one write-once helper behind the blob store and the firm's key file."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from tools.atomic import write_once


def test_creates_the_file_with_its_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "folder" / "key.p12"
    assert write_once(target, b"secret", mode=0o600, prefix=".firm-key-") is True
    assert target.read_bytes() == b"secret"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["key.p12"]


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "blob"
    assert write_once(target, b"first", mode=0o444) is True
    assert write_once(target, b"second", mode=0o644) is False
    assert target.read_bytes() == b"first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["blob"]


def test_of_racing_writers_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "race"
    start = threading.Barrier(8)
    results: list[tuple[int, bool]] = []

    def write(n: int) -> None:
        start.wait()
        results.append((n, write_once(target, f"writer {n}".encode(), mode=0o444)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, won in results if won]
    assert len(results) == 8 and len(winners) == 1
    assert target.read_bytes() == f"writer {winners[0]}".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["race"]
