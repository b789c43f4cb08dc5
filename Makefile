# Retail AIGC Studio. `make run` starts the dashboard, `make test` runs every test tier.
# Both create the virtual environment and install the pinned requirements on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: run test test-fast lint bench browser clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_RUN): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(STAMP_TEST): requirements-test.txt $(STAMP_RUN)
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

$(STAMP_BENCH): bench/requirements-bench.txt $(STAMP_TEST)
	$(PY) -m pip install --quiet -r bench/requirements-bench.txt
	touch $@

run: $(STAMP_RUN)
	$(PY) -m dashboard.server --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

# Debian's chromium for the real-browser test (needs root or sudo; skipped if already there).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

test: $(STAMP_TEST) browser
	$(PY) -m mypy
	$(PY) -m pytest -q --timeout=900

test-fast: $(STAMP_TEST)
	$(PY) -m pytest -q -m "not slow and not e2e and not integration"

lint: $(STAMP_TEST)
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(STAMP_BENCH)
	@for b in bench/bench_*.py; do echo "# $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
