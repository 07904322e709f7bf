"""The conversation graph: one LangGraph thread per request, one run per inbound message.

The canonical state (answers, items, outbox) lives in the project's tables and is changed in the
service's transaction. The graph's own working state (what the last turn understood and said, how
many turns ran) is kept in the ``graph_state`` table, one row per thread: the service loads it with
the request, hands it to the run as input and writes the run's result in the turn's transaction.

LangGraph stays the runtime; its checkpointer interface is not used because a saver costs about half
a millisecond per run (a fresh thread pool for every save, copies of the checkpoint) and a commit of
its own outside our transaction — a third of the whole turn budget (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from sqlalchemy import select

from agent.conversation.turn import Outcome, Turn
from agent.store.db import Database
from agent.store.graph_tables import GraphState as GraphRow


class GraphState(TypedDict, total=False):
    inbound_id: int | None
    kind: str  # "message" | "opening"
    phase_before: str | None
    phase_after: str | None
    replies: list[str]
    answered_fields: list[str]
    turns: int


def _turn(state: GraphState, config: RunnableConfig) -> GraphState:
    """Observe the phase, act (the whole turn), settle: one node, since every extra superstep costs
    LangGraph's scheduling work while the steps can never be resumed separately anyway."""
    ctx = config["configurable"]["turn_ctx"]
    turn: Turn = ctx["turn"]
    before = turn.snap.state.get("phase")
    outcome: Outcome = ctx["run"](turn)
    return {
        "phase_before": before,
        "replies": [r.text[:500] for r in outcome.replies],
        "answered_fields": [a.field_id for a in outcome.answers],
        "phase_after": turn.snap.state.get("phase"),
        "turns": state.get("turns", 0) + 1,
    }


def build_graph() -> StateGraph:
    graph = StateGraph(GraphState)
    graph.add_node("turn", _turn)
    graph.add_edge(START, "turn")
    graph.add_edge("turn", END)
    return graph


class ConversationGraph:
    """The compiled graph; its per-thread state is read from (and written with) the domain tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.app = build_graph().compile()

    def run(self, turn: Turn, run: Callable[[Turn], Outcome], *, previous: dict[str, Any] | None,
            inbound_id: int | None, kind: str = "message") -> dict[str, Any]:
        """One run on the thread's previous state; returns the new state for the caller to write."""
        config: RunnableConfig = {"configurable": {"turn_ctx": {"turn": turn, "run": run}}}
        start: dict[str, Any] = {"turns": 0, **(previous or {}), "inbound_id": inbound_id, "kind": kind}
        return dict(self.app.invoke(start, config))

    def state(self, thread_id: str) -> dict[str, Any]:
        with self.db.read() as s:
            values = s.scalar(select(GraphRow.values).where(GraphRow.thread_id == thread_id))
        return dict(values or {})

    def close(self) -> None:
        """Nothing to release: the state lives in the service's database."""
