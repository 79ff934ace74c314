# Ferry: `make run` starts it, `make test` runs every test, `make bench` measures.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench lint typecheck lock messages clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ferry: Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: requirements.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	@touch $@

$(VENV)/.dev-installed: requirements-dev.lock $(VENV)/.run-installed
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	@touch $@

run: $(VENV)/.run-installed
	@$(PY) -m ferry.launch

test: $(VENV)/.dev-installed
	@$(PY) scripts/run_tests.py $(ARGS)

bench: $(VENV)/.dev-installed
	@$(PY) -m bench $(if $(ONLY),--only $(ONLY))

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(VENV)/bin/mypy ferry

# Regenerate the locks after editing requirements*.in (names, versions and hashes only).
lock: $(PY)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes --no-emit-index-url --no-emit-find-links requirements.in -o requirements.lock
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes --no-emit-index-url --no-emit-find-links requirements-dev.in -o requirements-dev.lock

messages: $(VENV)/.dev-installed
	cd ferry && ../$(PY) ../manage.py makemessages --locale ru --no-obsolete --no-location --ignore 'static/*'
	cd ferry && ../$(PY) ../manage.py compilemessages --locale ru

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
