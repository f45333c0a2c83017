# pixelrank — `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FEAST_USAGE := False

.PHONY: install demo test serve lint clean notebooks lab

install: $(STAMP)

# Re-install whenever the pinned dependencies change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: install
	PIXELRANK_HOME=var/demo $(BIN)/pixelrank demo

test: install
	@command -v chromium >/dev/null || test -n "$$PIXELRANK_CHROMIUM" || echo "make test: no Chromium found: the browser tests (tests/web) are skipped (apt-get install -y chromium)"
	$(BIN)/python -m pytest

# Each notebook on a scratch world of its own; executed copies with their plots in $PIXELRANK_HOME/notebooks/.
notebooks: install
	$(BIN)/python notebooks/run.py

# JupyterLab on notebooks/, with this venv's kernel (jupytext opens the .py files as notebooks).
lab: install
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	cd notebooks && ../$(BIN)/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root)

serve: install
	$(BIN)/pixelrank serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy social_core features candidates ranking training serving

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
