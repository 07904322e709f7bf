"""The conversation graph: one LangGraph thread per request, one run per inbound message.

The canonical state (answers, items, outbox) lives in the project's tables and is changed in the
service's transaction; the checkpoint keeps only the graph's working state (what the last turn
understood and said), so replaying a run after a crash is harmless.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from agent.conversation.turn import Outcome, Turn


class GraphState(TypedDict, total=False):
    inbound_id: int | None
    kind: str  # "message" | "opening"
    phase_before: str | None
    phase_after: str | None
    replies: list[str]
    answered_fields: list[str]
    turns: int


def _turn_of(config: RunnableConfig) -> tuple[Turn, Callable[[Turn], Outcome]]:
    ctx = config["configurable"]["turn_ctx"]
    return ctx["turn"], ctx["run"]


def _observe(state: GraphState, config: RunnableConfig) -> GraphState:
    turn, _ = _turn_of(config)
    return {"phase_before": turn.snap.state.get("phase")}


def _act(state: GraphState, config: RunnableConfig) -> GraphState:
    turn, run = _turn_of(config)
    outcome = run(turn)
    return {
        "replies": [r.text[:500] for r in outcome.replies],
        "answered_fields": [a.field_id for a in outcome.answers],
    }


def _settle(state: GraphState, config: RunnableConfig) -> GraphState:
    turn, _ = _turn_of(config)
    return {"phase_after": turn.snap.state.get("phase"), "turns": state.get("turns", 0) + 1}


def build_graph() -> StateGraph:
    graph = StateGraph(GraphState)
    graph.add_node("observe", _observe)
    graph.add_node("act", _act)
    graph.add_node("settle", _settle)
    graph.add_edge(START, "observe")
    graph.add_edge("observe", "act")
    graph.add_edge("act", "settle")
    graph.add_edge("settle", END)
    return graph


class ConversationGraph:
    """The compiled graph with its checkpointer (SQLite file by default, PostgreSQL when configured)."""

    def __init__(self, *, checkpoint_path: Path | None = None, postgres_url: str | None = None) -> None:
        self._stack = ExitStack()
        if postgres_url:
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool

            pool = ConnectionPool(
                postgres_url.replace("postgresql+psycopg://", "postgresql://"),
                min_size=1, max_size=10,
                kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
                open=True,
            )
            self._stack.callback(pool.close)
            saver: Any = PostgresSaver(pool)
        else:
            from langgraph.checkpoint.sqlite import SqliteSaver

            assert checkpoint_path is not None
            checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
            # Its own file, so LangGraph's writes never wait for the domain tables' write lock.
            conn = sqlite3.connect(str(checkpoint_path), check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._stack.callback(conn.close)
            saver = SqliteSaver(conn)
        saver.setup()
        self.saver = saver
        self.app = build_graph().compile(checkpointer=saver)

    def run(self, thread_id: str, turn: Turn, run: Callable[[Turn], Outcome], *, inbound_id: int | None,
            kind: str = "message") -> None:
        config = {"configurable": {"thread_id": thread_id, "turn_ctx": {"turn": turn, "run": run}}}
        # One checkpoint write at the end of the run: the checkpoint is working state only, the canonical
        # state commits in the service's transaction, so intermediate steps need not be durable.
        self.app.invoke({"inbound_id": inbound_id, "kind": kind}, config, durability="exit")

    def state(self, thread_id: str) -> dict[str, Any]:
        snapshot = self.app.get_state({"configurable": {"thread_id": thread_id}})
        return dict(snapshot.values) if snapshot else {}

    def close(self) -> None:
        self._stack.close()
