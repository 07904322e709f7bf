"""The import rules of the architecture: the core never imports a channel, channels never import each
other, tools know nothing of channels. Only the composition root (agent/app.py, agent/cli.py) may.
Channels and the client pages talk to the service's public face, never to the ORM (one door)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMPOSITION_ROOT = {REPO / "agent" / "app.py", REPO / "agent" / "cli.py"}
PENDING: set[str] = set()  # every package under channels/ and portal_fallback/ now goes through the service


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


def _pending(path: Path) -> bool:
    rel = path.relative_to(REPO).as_posix()
    return any(rel == p or rel.startswith(p + "/") for p in PENDING)


def test_channels_and_pages_do_not_reach_into_the_orm() -> None:
    offenders = [
        (str(p.relative_to(REPO)), name)
        for package in ("channels", "portal_fallback")
        for p in _files(package) if not _pending(p)
        for name in _imports(p)
        if name == "agent.store" or name.startswith("agent.store.") or name == "sqlalchemy"
        or name.startswith("sqlalchemy.")
    ]
    assert offenders == []


def test_channels_open_no_database_session() -> None:
    """``service.db.read()`` / ``.write()`` is the ORM by another name."""
    offenders = [
        str(p.relative_to(REPO))
        for package in ("channels", "portal_fallback")
        for p in _files(package) if not _pending(p)
        if ".db.read(" in p.read_text(encoding="utf-8") or ".db.write(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_rules_catch_an_offender(tmp_path: Path) -> None:
    """The scan sees imports in every form (so an empty offender list means something)."""
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy\nfrom agent.store import models as m\n"
                      "def f():\n    from channels.email import wiring\n", encoding="utf-8")
    assert {"sqlalchemy", "agent.store", "channels.email"} <= _imports(sample)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_between_modules() -> None:
    """Module-level and function-level imports alike: a cycle hidden in a function is still a cycle."""
    modules: dict[str, Path] = {}
    for package in ("agent", "channels", "tools", "portal_fallback"):
        for p in _files(package):
            if "migrations" in p.parts:
                continue
            name = ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = p
    graph = {name: {dep for imported in _imports_with_names(path) for dep in imported
                    if dep in modules and dep != name and not name.startswith(dep + ".")}
             for name, path in modules.items()}
    assert _cycles(graph) == []


def _imports_with_names(path: Path) -> list[set[str]]:
    """What a module imports when it runs (``if TYPE_CHECKING:`` blocks are for the type checker only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(inner) for node in ast.walk(tree)
                   if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for stmt in node.body for inner in ast.walk(stmt)}
    found: list[set[str]] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.append({alias.name for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append({node.module} | {f"{node.module}.{alias.name}" for alias in node.names})
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
