# Two entry points: `make demo` and `make test`. Both bootstrap everything on a fresh machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
RUNTIME_APT := libpango-1.0-0 libpangoft2-1.0-0
TEST_APT := $(RUNTIME_APT) chromium fonts-nanum poppler-utils
DEMO_DB ?= sqlite:///kirok-demo.db

.PHONY: demo test venv system-deps runtime-deps services lint typecheck pytest bench clean

venv: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv sync --frozen --all-extras --python python3
	touch $@

# Debian packages: PDF rendering (WeasyPrint needs Pango) at run time; the browser, fonts and
# PDF-to-image tools for the tests.
define apt_ensure
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endef

runtime-deps:
	$(call apt_ensure,$(RUNTIME_APT))

system-deps:
	$(call apt_ensure,$(TEST_APT))

# PostgreSQL is started before the session on this machine kind; start it again if it stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

pytest: venv system-deps services
	$(BIN)/pytest -n 2 --dist loadgroup --durations=30

test: lint typecheck pytest

demo: venv runtime-deps
	$(BIN)/kirok demo --db $(DEMO_DB)

bench: venv services
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
