# The two commands the README opens with: `make run` and `make test`.
# Both set up whatever is missing first (system packages, .venv, .venv-engine) from the lock files.
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
NAV := .venv/bin/navigator
# make run PROFILE=prod: PostgreSQL + Redis + ENGINE_INSTANCES engines (README, "Production profile")
ifdef PROFILE
export NAVIGATOR_PROFILE := $(PROFILE)
endif

.PHONY: setup run test lint validate train nlu-eval barriers-eval lock-app clean

setup:
	@scripts/bootstrap.sh all

run: setup
	@$(NAV) run

test: setup
	@echo "[test] lint (ruff)"
	@.venv/bin/ruff check .
	@echo "[test] rasa data validate"
	@$(NAV) engine validate
	@$(NAV) train
	@echo "[test] rasa test core (dialogue stories)"
	@$(NAV) engine test-stories > var/log/test-stories.log 2>&1 || { tail -30 var/log/test-stories.log; exit 1; }
	@grep -h "Correct:" var/log/test-stories.log | head -2
	@echo "[test] pytest (unit + integration)"
	@.venv/bin/pytest

lint: setup
	@.venv/bin/ruff check .

validate: setup
	@$(NAV) engine validate

train: setup
	@$(NAV) train

# NLU quality (a measurement, not a test): cross-validated intent macro-F1 and location F1.
nlu-eval: setup
	@$(NAV) nlu eval

# The barrier needs on the frozen set (tests/data/barriers_frozen.tsv, never tuned on): accuracy
# per label only, through the trained model (trained first if its inputs changed).
barriers-eval: setup
	@.venv/bin/pytest -q -s tests/actions/test_barriers_frozen.py

# Re-resolve the app lock from pyproject.toml's direct dependencies (needs the registry).
lock-app:
	rm -rf var/lock-venv && python3.11 -m venv var/lock-venv
	var/lock-venv/bin/pip install -q '.[test]'
	{ echo "# Lock for .venv (our code: api/, actions/, resources_db/, tests). Regenerate: make lock-app"; \
	  var/lock-venv/bin/pip freeze --exclude recovery-to-work-navigator; } > requirements/app.lock
	rm -rf var/lock-venv

clean:
	rm -rf .venv .venv-engine var models
