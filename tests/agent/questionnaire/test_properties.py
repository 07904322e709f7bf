"""Properties of the engine over arbitrary answer sets (hypothesis, kept small and fast)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.questionnaire.engine import (
    is_complete,
    is_visible,
    next_field,
    progress,
    relevant_answers,
    visible_fields,
)
from agent.questionnaire.loader import load_questionnaire

from .conftest import DEMO_FIRM

Q = load_questionnaire(DEMO_FIRM / "questionnaires" / "verkehrsunfall.yaml")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _value_for(field_id: str) -> st.SearchStrategy:
    f = Q.field(field_id)
    if f.type == "boolean":
        return st.booleans()
    if f.type == "choice":
        return st.sampled_from(f.option_keys())
    return st.sampled_from(["x", "2024-01-01", None])


ANSWERS = st.fixed_dictionaries(
    {}, optional={f.id: _value_for(f.id) for f in Q.fields}
)
SKIPPED = st.sets(st.sampled_from(Q.field_ids()), max_size=5)


@FAST
@given(answers=ANSWERS, skipped=SKIPPED)
def test_next_field_is_visible_open_and_first(answers: dict, skipped: set) -> None:
    nxt = next_field(Q, answers, skipped)
    shown = visible_fields(Q, answers)
    open_fields = [f for f in shown if answers.get(f.id) is None and f.id not in skipped]
    assert nxt == (open_fields[0] if open_fields else None)
    if nxt is not None:
        assert is_visible(Q, nxt, answers)


@FAST
@given(answers=ANSWERS, skipped=SKIPPED)
def test_progress_and_completion_agree(answers: dict, skipped: set) -> None:
    done, total = progress(Q, answers, skipped)
    assert 0 <= done <= total <= len(Q.fields)
    if done == total:
        assert is_complete(Q, answers, skipped)


@FAST
@given(answers=ANSWERS)
def test_relevant_answers_are_stable(answers: dict) -> None:
    relevant = relevant_answers(Q, answers)
    assert relevant_answers(Q, relevant) == relevant
    assert visible_fields(Q, relevant) == visible_fields(Q, answers)
    assert set(relevant) <= {f.id for f in visible_fields(Q, answers)}
