# One command each: `make run`, `make test`, `make lint`, `make fmt` (CI runs the same ones),
# and `make bench` for the benchmarks (ARGS="--teams 1000000" for the big run,
# ARGS="--saturation-only" for only the wrk run against the boards already there).
# Setup is incremental: the stamps below make it instant once done. `make run` installs only
# what running needs (`--no-dev`); test, lint, fmt and bench add the dev group (pytest, mypy,
# playwright…). Both share .venv: the run sync is `--inexact`, so it never removes the dev
# tools a test or lint run installed, and neither sync repeats until the lock file changes.

UV_VERSION := 0.13.9
, := ,
# Python 3.13: PYTHON if given, else the first that runs of python3.13 on PATH (a pyenv
# shim may not), pyenv's 3.13 and /usr/bin/python3.13. Expanded only when .tools is built.
PY_CANDIDATES = $(or $(PYTHON),python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3 \
	/usr/bin/python3.13)
PY = $(shell for p in $(PY_CANDIDATES); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1 \
	&& { command -v "$$p"; break; }; done)
RUN_STAMP := .venv/.synced-run
DEV_STAMP := .venv/.synced-dev
UV_SYNC = UV_PYTHON_DOWNLOADS=never .tools/bin/uv sync --locked \
	--python "$$(.tools/bin/python -c 'import sys; print(sys._base_executable)')"
VENDOR := static/vendor/htmx.min.js static/vendor/ws.js

.PHONY: run test lint fmt setup bench
.DELETE_ON_ERROR:

run: $(RUN_STAMP) $(VENDOR)
	.venv/bin/paddock dev

test: setup
	.venv/bin/pytest --cov --cov-report=term-missing:skip-covered $(ARGS)

lint: $(DEV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports --no-cache

fmt: $(DEV_STAMP)
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench: setup
	.venv/bin/python -m bench $(ARGS)

setup: $(DEV_STAMP) $(VENDOR)

# uv cannot download interpreters here, so it gets the one we found, in a venv of its own.
.tools/bin/uv:
	@[ -n "$(PY)" ] || { echo "Python 3.13 is required: $(if $(PYTHON),PYTHON=$(PYTHON) is not \
	one,none found on PATH$(,) in pyenv or /usr/bin); install it or run make PYTHON=/path/to/python3.13" >&2; exit 1; }
	"$(PY)" -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(RUN_STAMP): .tools/bin/uv pyproject.toml uv.lock
	$(UV_SYNC) --no-dev --inexact
	@touch $@

$(DEV_STAMP): .tools/bin/uv pyproject.toml uv.lock
	$(UV_SYNC)
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the front-end assets" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund

static/vendor/htmx.min.js: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

static/vendor/ws.js: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/htmx-ext-ws/dist/ws.js $@
