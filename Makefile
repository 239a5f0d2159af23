# The two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= $(shell python3 -c 'import sys; print(sys.executable)')
PORT ?= 8000
export PORT
VENV := .venv
UV := .uv/bin/uv
PY := $(VENV)/bin/python
# Where `make run` keeps the random secret key it makes on its first run (settings read it
# from here when SECRET_KEY is not set; production sets SECRET_KEY instead).
SECRET_KEY_FILE ?= var/secret_key
export UV_PYTHON_DOWNLOADS := never

.PHONY: install secret-key run test lint typecheck pytest screenshots clean

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

$(SECRET_KEY_FILE):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp
	mv $@.tmp $@

secret-key: $(SECRET_KEY_FILE)

run: install secret-key
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	$(PY) manage.py serve

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy .

pytest: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The README's pictures: the browser tests write theirs to test-artifacts/screenshots/ (ignored
# by git); this takes them again into docs/screenshots/.
screenshots: install
	SCREENSHOTS_DIR=docs/screenshots $(VENV)/bin/pytest -q \
		tests/browser/test_handover.py::test_handover_without_repeating

clean:
	rm -rf $(VENV) .uv
