# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test lint graph messages screenshots clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## make run: install, migrate, load the demo data, serve with a worker and the deadline scheduler.
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	bin/serve

## make test: lint (style, layers), check every model change has its migration, run the suite.
test: $(VENV)/.dev lint
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

## make graph: redraw docs/state-machine.png from the model (needs Graphviz's `dot`).
graph: $(VENV)/.runtime
	LANGUAGE_CODE=en $(BIN)/python manage.py graph_transitions -o docs/state-machine.png aftersales.AfterSalesRequest
	rm -f docs/state-machine

## make messages: refresh the translation catalogues and compile them.
messages: $(VENV)/.runtime
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

## make screenshots: every page of every portal as the demo users see it, in Chinese and English,
## at 1280 px and 390 px, from a demo site of its own, into var/screenshots/.
screenshots: $(VENV)/.dev
	$(BIN)/python bin/screenshots.py

clean:
	rm -rf $(VENV) var
