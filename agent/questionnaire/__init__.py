"""Questionnaires: the schema (`model`), the pure flow engine (`engine`), the linter (`lint`), loading and
versions (`loader`, above model and lint)."""

from agent.questionnaire.engine import (
    find_field_by_name,
    is_complete,
    is_visible,
    next_field,
    progress,
    relevant_answers,
    validate,
    visible_fields,
)
from agent.questionnaire.lint import LintIssue, check_command, lint_file
from agent.questionnaire.loader import QuestionnaireRegistry, load_questionnaire
from agent.questionnaire.model import (
    Condition,
    Field,
    Questionnaire,
    QuestionnaireError,
    QuestionnaireNotFound,
)

__all__ = [
    "Condition",
    "Field",
    "LintIssue",
    "Questionnaire",
    "QuestionnaireError",
    "QuestionnaireNotFound",
    "QuestionnaireRegistry",
    "check_command",
    "find_field_by_name",
    "is_complete",
    "is_visible",
    "lint_file",
    "load_questionnaire",
    "next_field",
    "progress",
    "relevant_answers",
    "validate",
    "visible_fields",
]
