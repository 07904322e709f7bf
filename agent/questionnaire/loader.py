"""Loading questionnaires: the linter's verdict first, then the model; and the versions of one firm.

This sits above both ``model`` (the schema) and ``lint`` (which checks files against the schema), so
neither of those needs the other at import time: loading is the one place that uses both.
"""

from __future__ import annotations

from pathlib import Path

from agent.questionnaire.lint import lint_file
from agent.questionnaire.model import (
    ID_PATTERN,
    Questionnaire,
    QuestionnaireError,
    QuestionnaireNotFound,
    parse_questionnaire,
    read_yaml,
)


def load_questionnaire(path: Path) -> Questionnaire:
    """Load and check one questionnaire file. Raises QuestionnaireError naming file:line for
    every problem the linter counts as an error, so a loaded questionnaire is safe to run."""
    path = Path(path)
    errors = [issue for issue in lint_file(path) if issue.severity == "error"]
    if errors:
        raise QuestionnaireError("\n".join(f"{issue.path}:{issue.line}: {issue.message}" for issue in errors))
    data, root = read_yaml(path)
    return parse_questionnaire(data, root, path)


# --------------------------------------------------------------------------- versions


class QuestionnaireRegistry:
    """The questionnaires of one firm folder, with old versions kept for pinned requests.

    ``questionnaires/<id>.yaml`` is the current version; ``questionnaires/versions/<id>@<n>.yaml``
    keeps version n for requests that started with it. Files are loaded lazily and cached.
    """

    def __init__(self, firm_dir: Path) -> None:
        self.root = Path(firm_dir) / "questionnaires"
        self._cache: dict[Path, Questionnaire] = {}
        # (id, version) -> the parsed, checked questionnaire: every turn asks several times, and a
        # questionnaire version never changes once written (a change is a new version), so the files are
        # read, linted and parsed once per process and even their existence is not checked again.
        self._by_version: dict[tuple[str, int | None], Questionnaire] = {}

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(path.stem for path in self.root.glob("*.yaml") if path.is_file())

    def versions(self, questionnaire_id: str) -> list[int]:
        found: set[int] = set()
        current_path = self.root / f"{questionnaire_id}.yaml"
        if current_path.is_file():
            found.add(self._load(current_path).version)
        versions_dir = self.root / "versions"
        if versions_dir.is_dir():
            for path in versions_dir.glob(f"{questionnaire_id}@*.yaml"):
                number = path.stem.split("@", 1)[1]
                if number.isdigit():
                    found.add(int(number))
        return sorted(found)

    def get(self, questionnaire_id: str, version: int | None = None) -> Questionnaire:
        key = (questionnaire_id, version)
        found = self._by_version.get(key)
        if found is None:
            found = self._by_version[key] = self._get(questionnaire_id, version)
        return found

    def _get(self, questionnaire_id: str, version: int | None = None) -> Questionnaire:
        if not ID_PATTERN.match(questionnaire_id.replace("-", "_")):
            raise QuestionnaireNotFound(f"no questionnaire {questionnaire_id!r}")
        current_path = self.root / f"{questionnaire_id}.yaml"
        current = self._load(current_path) if current_path.is_file() else None
        if version is None or (current is not None and current.version == version):
            if current is None:
                raise QuestionnaireNotFound(f"no questionnaire {questionnaire_id!r} in {self.root}")
            return current
        old_path = self.root / "versions" / f"{questionnaire_id}@{version}.yaml"
        if not old_path.is_file():
            raise QuestionnaireNotFound(
                f"questionnaire {questionnaire_id!r} version {version} not found (expected {old_path})"
            )
        old = self._load(old_path)
        if old.version != version:
            raise QuestionnaireError(f"{old_path}: file name says version {version}, file says {old.version}")
        return old

    def _load(self, path: Path) -> Questionnaire:
        if path not in self._cache:
            questionnaire = load_questionnaire(path)
            expected_id = path.stem.split("@", 1)[0]
            if questionnaire.id != expected_id:
                raise QuestionnaireError(
                    f"{path}: id {questionnaire.id!r} does not match the file name {expected_id!r}"
                )
            self._cache[path] = questionnaire
        return self._cache[path]
