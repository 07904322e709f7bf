"""The import rules of the architecture: the core never imports a channel, channels never import each
other, tools know nothing of channels. Only the composition root (agent/app.py, agent/cli.py) may."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMPOSITION_ROOT = {REPO / "agent" / "app.py", REPO / "agent" / "cli.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def test_core_imports_no_channel() -> None:
    offenders = [
        (str(p.relative_to(REPO)), name)
        for p in _files("agent") if p not in COMPOSITION_ROOT
        for name in _imports(p)
        if name == "channels" or name.startswith("channels.")
    ]
    assert offenders == []


def test_channels_do_not_import_each_other() -> None:
    channels = [p.name for p in (REPO / "channels").iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    offenders = []
    for channel in channels:
        for p in _files(f"channels/{channel}"):
            for name in _imports(p):
                other = name.split(".")[1] if name.startswith("channels.") and name.count(".") >= 1 else None
                if other and other != channel and other in channels:
                    offenders.append((str(p.relative_to(REPO)), name))
                if name in ("agent.app", "agent.cli"):  # channels call the service, never the composition root
                    offenders.append((str(p.relative_to(REPO)), name))
    assert offenders == []


def test_tools_know_nothing_of_channels_or_the_service() -> None:
    offenders = [
        (str(p.relative_to(REPO)), name)
        for p in _files("tools")
        for name in _imports(p)
        if name.startswith("channels") or name in ("agent.service", "agent.app", "agent.cli")
    ]
    assert offenders == []
