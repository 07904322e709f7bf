# Two commands: `make run` starts Mandat on the embedded defaults with the demo firm;
# `make test` installs what the tests need and runs the whole suite.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
PYTHON  ?= python3

.PHONY: run test lint bench fuzz soak system-deps postgres js-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/mandat serve --demo

system-deps:
	bash scripts/system-deps.sh

postgres:
	bash scripts/postgres.sh

# axe-core for the accessibility checks of the browser tests (pinned by tests/js/package-lock.json).
js-deps:
	cd tests/js && npm ci --no-audit --no-fund

test: $(STAMP) system-deps postgres js-deps
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -p no:cacheprovider

# Longer fuzzing than make test's bounded run: the same hypothesis properties with many more examples
# (FUZZ_EXAMPLES per target, default 3000; e.g. make fuzz FUZZ_EXAMPLES=20000).
FUZZ_EXAMPLES ?= 3000
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider tests/fuzz

# Mixed traffic with SIGKILLs for MINUTES minutes (the issue's real run: make soak MINUTES=30).
MINUTES ?= 3
soak: $(STAMP)
	$(PY) bench/soak.py --minutes $(MINUTES)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/conversation.py
	$(PY) bench/webchat.py
	$(PY) bench/documents.py
	$(PY) bench/signing.py
	$(PY) bench/email_ingest.py
	$(PY) bench/telegram.py
	$(PY) bench/staff.py
	$(PY) bench/extraction.py
	$(PY) bench/webhooks.py

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache tests/js/node_modules
