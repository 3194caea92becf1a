# Two commands on a fresh machine: `make demo` and `make test`.
# Both bootstrap .venv from nothing but python3 (3.10 or newer), idempotently.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) example_shop/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv install-dev install-demo test test-fast docs lint bench bench-data demo clean

help:
	@echo "make demo   - install, migrate, seed, train and serve the example shop on http://$(HOST):$(PORT)"
	@echo "              (HOST=0.0.0.0 PORT=8080 make demo serves elsewhere; staff login admin / admin)"
	@echo "make test   - install .[dev] and run the whole test suite and the docs build"
	@echo "make bench  - print the benchmark tables (asserts nothing)"
	@echo "make docs   - build the Sphinx docs, warnings as errors"

$(PY):
	$(PYTHON) -c 'import sys; sys.exit("Python 3.10 or newer is needed" if sys.version_info < (3, 10) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel

venv: $(PY)

$(VENV)/.installed-dev: $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

$(VENV)/.installed-demo: $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[all]"
	@touch $@

install-dev: $(VENV)/.installed-dev
install-demo: $(VENV)/.installed-demo

# The django-oscar adapter's tests run on their own (Oscar's apps and URLconf),
# after the main run: OSCAR_PYTEST_ARGS passes options to that run only.
OSCAR_PYTEST := -m pytest --ds=tests.oscar_site.settings --no-migrations tests/oscar_site

test: install-dev
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests (exit code 5)" >&2; fi; \
	exit $$status
	@$(PY) $(OSCAR_PYTEST) $(OSCAR_PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: the Oscar site's run collected no tests (exit code 5)" >&2; fi; \
	exit $$status
	$(MAKE) --no-print-directory docs

docs: install-dev
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

# Prints tables of figures; asserts nothing (tests never time anything).
# The benchmarks live in benchmarks/ (never installed) and run from the root.
# MovieLens-100k comes inside RecBole's wheel, downloaded once as a file and
# never installed (RecBole itself needs torch): see benchmarks/engine_bench_data.py.
PERSONALIZE_BENCH_CACHE ?= $(HOME)/.cache/personalize-django
BENCH_DATA := $(PERSONALIZE_BENCH_CACHE)/recbole-1.2.1-py3-none-any.whl

$(BENCH_DATA): | $(PY)
	$(PY) -m pip download --quiet --no-deps recbole==1.2.1 -d "$(PERSONALIZE_BENCH_CACHE)"

bench-data: $(BENCH_DATA)

# The scaling table runs rows of 100k, 1M and 4M events (BENCH_SCALE=10m adds 10M).
bench: export PERSONALIZE_BENCH_CACHE := $(PERSONALIZE_BENCH_CACHE)
bench: install-dev bench-data
	$(PY) -m benchmarks.engine_bench $(BENCH_ARGS)
	$(PY) -m benchmarks.scale_bench
	$(PY) -m benchmarks.engine_frontier
	$(PY) -m benchmarks.complements_bench
	$(PY) -m benchmarks.django_bench
	$(PY) -m benchmarks.django_export_bench
	$(PY) -m benchmarks.dataset_bench
	$(PY) -m benchmarks.server_import_bench

demo: install-demo
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_shop --train
	@echo ""
	@echo "  The example shop is at http://$(HOST):$(PORT)/   (demo login: demo / demo)"
	@echo "  The staff console is at http://$(HOST):$(PORT)/admin/personalize/console/overview/   (staff login: admin / admin)"
	@echo "  The REST API's docs are at http://$(HOST):$(PORT)/api/personalize/schema/swagger-ui/"
	@echo ""
	$(MANAGE) runserver $(HOST):$(PORT)

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build .pytest_cache example_shop/var
