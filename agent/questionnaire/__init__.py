"""Questionnaires: model and loading (`model`), the pure flow engine (`engine`), the linter (`lint`)."""

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
from agent.questionnaire.model import (
    Condition,
    Field,
    Questionnaire,
    QuestionnaireError,
    QuestionnaireNotFound,
    QuestionnaireRegistry,
    load_questionnaire,
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
